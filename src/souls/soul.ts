// SOUL.md: an optional persona beside an agent's AGENT.md. It may shape tone and principles only;
// anything that claims authority owned elsewhere (tools, tasks, network, config, …) is refused with
// a diagnostic that names the owner.
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';

export interface SoulFrontmatter {
  version?: string;
  role?: string;
  tone?: string[];
  principles?: string[];
  constraints?: string[];
  collaboration?: string[];
  memory_policy?: string[];
  tags?: string[];
}

export interface SoulDiagnostic {
  code: string;
  severity: 'error';
  message: string;
  field?: string;
  section?: string;
  source_path?: string;
  line?: number;
  column?: number;
  owner_surface?: string;
}

export interface ParsedSoul {
  frontmatter: SoulFrontmatter;
  body: string;
  diagnostics: SoulDiagnostic[];
  digest: string;
}

const LIST_FIELDS = ['tone', 'principles', 'constraints', 'collaboration', 'memory_policy', 'tags'] as const;

const OWNERS: Record<string, string[]> = {
  'AGENT.md': [
    'name',
    'provider',
    'command',
    'model',
    'tools',
    'toolsets',
    'deny_tools',
    'permissions',
    'mcp_servers',
    'hooks',
    'prompt',
  ],
  capabilities: ['capabilities', 'capability'],
  'task runtime': ['tasks', 'task', 'task_runs', 'run', 'ownership', 'claim_token', 'claim_token_hash'],
  'runtime state': ['scheduler', 'heartbeat', 'lease', 'session', 'session_liveness', 'activity', 'wake'],
  'AGH Network presence': ['network', 'channels', 'peers', 'presence'],
  'session spawn overlays': ['spawn'],
  config: ['env', 'config', 'defaults', 'providers', 'sandboxes', 'settings'],
  'memory runtime': ['memory', 'memory_store', 'memory_scope', 'memory_type', 'memories'],
};
const FORBIDDEN = new Map(
  Object.entries(OWNERS).flatMap(([owner, keys]) => keys.map((k) => [k, owner] as const)),
);

/** Validates a SOUL.md text as if it were at `sourcePath` (relative to the agent's trusted root). */
export function parseSoul(text: string, sourcePath: string, maxBodyBytes: number): ParsedSoul {
  const diagnostics: SoulDiagnostic[] = [];
  const problem = (d: Omit<SoulDiagnostic, 'severity' | 'source_path'>) =>
    diagnostics.push({ severity: 'error', source_path: sourcePath, ...d, message: d.message.slice(0, 300) });
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const frontmatter: SoulFrontmatter = {};
  let body = normalised;
  let bodyFirstLine = 1;

  if (normalised.startsWith('---\n') || normalised === '---') {
    const lines = normalised.split('\n');
    const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === '---');
    if (close === -1) {
      problem({
        code: 'malformed_frontmatter',
        message: 'the front matter starts with --- but never ends',
        line: 1,
        column: 1,
      });
      body = '';
    } else {
      const yamlText = lines.slice(1, close).join('\n');
      body = lines.slice(close + 1).join('\n');
      bodyFirstLine = close + 2;
      if (Buffer.byteLength(yamlText) > maxBodyBytes) {
        problem({
          code: 'oversized_frontmatter',
          message: `the front matter is larger than ${maxBodyBytes} bytes`,
          line: 2,
          column: 1,
        });
      } else {
        readFrontmatter(yamlText, frontmatter, problem);
      }
    }
  }
  body = body.replace(/\s+$/, '');
  if (Buffer.byteLength(body) > maxBodyBytes) {
    problem({
      code: 'oversized_body',
      message: `the body is larger than ${maxBodyBytes} bytes`,
      line: bodyFirstLine,
      column: 1,
    });
  }
  body.split('\n').forEach((line, i) => {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) return;
    const key = heading[1]
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
    const owner = FORBIDDEN.get(key);
    if (owner) {
      problem({
        code: 'reserved_section',
        message: `the section "${heading[1]}" belongs to ${owner}, not to a soul`,
        section: heading[1],
        owner_surface: owner,
        line: bodyFirstLine + i,
        column: 1,
      });
    }
  });
  return { frontmatter, body, diagnostics, digest: soulDigest(frontmatter, body) };
}

function readFrontmatter(
  yamlText: string,
  out: SoulFrontmatter,
  problem: (d: Omit<SoulDiagnostic, 'severity' | 'source_path'>) => void,
): void {
  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    problem({
      code: 'malformed_frontmatter',
      message: `invalid YAML: ${e?.message.split('\n')[0] ?? 'unknown error'}`,
      line: (e?.linePos?.[0]?.line ?? 0) + 1,
      column: e?.linePos?.[0]?.col ?? 1,
    });
    return;
  }
  let data: unknown;
  try {
    // toJS refuses documents that expand aliases without bound ("billion laughs").
    data = doc.toJS();
  } catch (err) {
    problem({
      code: 'malformed_frontmatter',
      message: `invalid YAML: ${(err as Error).message.split('\n')[0]}`,
      line: 2,
      column: 1,
    });
    return;
  }
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problem({
      code: 'malformed_frontmatter',
      message: 'the front matter must be a mapping of fields',
      line: 2,
      column: 1,
    });
    return;
  }
  const lines = yamlText.split('\n');
  const lineOf = (key: string) => {
    const i = lines.findIndex((l) => l.startsWith(`${key}:`) || l.startsWith(`"${key}":`));
    return i === -1 ? 2 : i + 2;
  };
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const at = { field: key, line: lineOf(key), column: 1 };
    const owner = FORBIDDEN.get(key);
    if (owner) {
      problem({
        code: 'forbidden_field',
        message: `"${key}" belongs to ${owner}, not to a soul`,
        owner_surface: owner,
        ...at,
      });
    } else if (key === 'version') {
      if (typeof value === 'string') out.version = value;
      else if (Number.isInteger(value)) out.version = String(value);
      else problem({ code: 'invalid_field_type', message: 'version must be a string or an integer', ...at });
    } else if (key === 'role') {
      if (typeof value === 'string') out.role = value;
      else problem({ code: 'invalid_field_type', message: 'role must be a string', ...at });
    } else if ((LIST_FIELDS as readonly string[]).includes(key)) {
      const list = typeof value === 'string' ? [value] : value;
      if (Array.isArray(list) && list.every((v) => typeof v === 'string')) {
        out[key as (typeof LIST_FIELDS)[number]] = list.filter((v) => v.trim() !== '');
      } else {
        problem({
          code: 'invalid_field_type',
          message: `${key} must be a string or a list of strings`,
          ...at,
        });
      }
    } else {
      problem({
        code: 'unsupported_field',
        message: `"${key}" is not a soul field (allowed: version, role, ${LIST_FIELDS.join(', ')})`,
        ...at,
      });
    }
  }
}

/**
 * `sha256:` + hex of "agh.soul.v1\n" + the front matter as Go's encoding/json writes its struct
 * (capitalised keys in a fixed order, absent lists as null, <>& escaped) + "\n" + the body, so that
 * digests agree with the reference implementation.
 */
export function soulDigest(fm: SoulFrontmatter, body: string): string {
  const json = JSON.stringify({
    Version: fm.version ?? '',
    Role: fm.role ?? '',
    Tone: fm.tone ?? null,
    Principles: fm.principles ?? null,
    Constraints: fm.constraints ?? null,
    Collaboration: fm.collaboration ?? null,
    MemoryPolicy: fm.memory_policy ?? null,
    Tags: fm.tags ?? null,
  })
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  const hash = createHash('sha256').update(`agh.soul.v1\n${json}\n${body}`, 'utf8').digest('hex');
  return `sha256:${hash}`;
}
