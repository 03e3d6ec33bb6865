// Parsing one AGENT.md: optional YAML front matter between `---` lines, then the prompt body.
// A broken file still yields a definition, with diagnostics that say what is wrong, so that one
// typo never hides the agent from the operator.
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PROVIDER } from './providers.ts';

export interface AgentDefinitionDiagnostic {
  error_kind: string;
  message: string;
  path: string;
}

export interface McpServerConfig {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  transport?: string;
  url?: string;
}

export interface AgentDefinition {
  name: string;
  provider: string;
  prompt: string;
  command?: string;
  model?: string;
  tools?: string[];
  toolsets?: string[];
  deny_tools?: string[];
  permissions?: string;
  mcp_servers?: McpServerConfig[];
  diagnostics?: AgentDefinitionDiagnostic[];
}

export const MAX_AGENT_FILE_BYTES = 256 * 1024;

/** How an ACP agent's permission requests are answered, since nobody sits at the session to click. */
export const PERMISSION_MODES = ['approve_all', 'read_only', 'deny_all'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];
export const DEFAULT_PERMISSION_MODE: PermissionMode = 'approve_all';

/** The narrower of two modes: a child never answers "yes" where its parent would say "no". */
export function stricterMode(a: PermissionMode, b: PermissionMode): PermissionMode {
  return PERMISSION_MODES.indexOf(a) >= PERMISSION_MODES.indexOf(b) ? a : b;
}

const KNOWN_FIELDS = new Set([
  'name',
  'description',
  'provider',
  'command',
  'model',
  'tools',
  'toolsets',
  'deny_tools',
  'permissions',
  'mcp_servers',
]);

export interface ParseOptions {
  /** Whether a provider name is known; unknown ones get a diagnostic. */
  knownProvider?: (name: string) => boolean;
}

const STRING_FIELDS = ['command', 'model', 'permissions'] as const;
const LIST_FIELDS = ['tools', 'toolsets', 'deny_tools'] as const;

/** `dirName` is the agent's directory name, which is its name. */
export function parseAgentDefinition(
  dirName: string,
  path: string,
  text: string,
  options: ParseOptions = {},
): AgentDefinition {
  const diagnostics: AgentDefinitionDiagnostic[] = [];
  const problem = (error_kind: string, message: string) => diagnostics.push({ error_kind, message, path });

  const { frontMatter, body, error } = splitFrontMatter(text);
  if (error) problem('malformed_frontmatter', error);

  let meta: Record<string, unknown> = {};
  if (frontMatter !== undefined) {
    try {
      const parsed: unknown = parseYaml(frontMatter);
      if (parsed === null || parsed === undefined) meta = {};
      else if (typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
      else problem('malformed_frontmatter', 'front matter must be a YAML mapping of fields');
    } catch (err) {
      problem('malformed_frontmatter', `invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  const definition: AgentDefinition = { name: dirName, provider: DEFAULT_PROVIDER, prompt: body.trim() };
  if (definition.prompt === '' && !error) {
    problem('empty_prompt', 'the Markdown body after the front matter is the prompt and must not be empty');
  }
  for (const key of Object.keys(meta)) {
    if (!KNOWN_FIELDS.has(key)) {
      problem(
        'unknown_field',
        `unknown field "${key}" in the front matter (known: ${[...KNOWN_FIELDS].join(', ')})`,
      );
    }
  }

  if (meta.name !== undefined && meta.name !== dirName) {
    problem(
      'name_mismatch',
      `front matter declares name "${String(meta.name)}" but the directory is "${dirName}"`,
    );
  }
  if (meta.provider !== undefined) {
    if (typeof meta.provider !== 'string' || meta.provider === '') {
      problem('invalid_field', 'provider must be a non-empty string');
    } else {
      definition.provider = meta.provider;
      if (options.knownProvider && !options.knownProvider(meta.provider))
        problem(
          'unknown_provider',
          `provider "${meta.provider}" is not known (add it under [providers] in config.toml)`,
        );
    }
  }
  for (const field of STRING_FIELDS) {
    const value = meta[field];
    if (value === undefined) continue;
    if (typeof value === 'string') definition[field] = value;
    else problem('invalid_field', `${field} must be a string`);
  }
  for (const field of LIST_FIELDS) {
    const value = meta[field];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) definition[field] = value;
    else problem('invalid_field', `${field} must be a list of strings`);
  }
  if (
    definition.permissions !== undefined &&
    !(PERMISSION_MODES as readonly string[]).includes(definition.permissions)
  ) {
    problem('invalid_field', `permissions must be one of ${PERMISSION_MODES.join(', ')}`);
  }
  if (meta.description !== undefined && typeof meta.description !== 'string') {
    problem('invalid_field', 'description must be a string');
  }
  if (meta.mcp_servers !== undefined) {
    const servers = parseMcpServers(meta.mcp_servers);
    if (servers) definition.mcp_servers = servers;
    else
      problem(
        'invalid_field',
        'mcp_servers must be a list of {name, command?, args?, env?, transport?, url?}',
      );
  }
  if (diagnostics.length > 0) definition.diagnostics = diagnostics;
  return definition;
}

function splitFrontMatter(text: string): { frontMatter?: string; body: string; error?: string } {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  if (!normalised.startsWith('---\n') && normalised !== '---') return { body: normalised };
  const end = normalised.indexOf('\n---', 3);
  if (end === -1) return { body: '', error: 'front matter starts with --- but never ends' };
  const afterFence = normalised.indexOf('\n', end + 4);
  return {
    frontMatter: normalised.slice(4, end + 1),
    body: afterFence === -1 ? '' : normalised.slice(afterFence + 1),
  };
}

function parseMcpServers(value: unknown): McpServerConfig[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const servers: McpServerConfig[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const s = item as Record<string, unknown>;
    if (typeof s.name !== 'string' || s.name === '') return undefined;
    const server: McpServerConfig = { name: s.name };
    for (const key of ['command', 'transport', 'url'] as const) {
      if (s[key] === undefined) continue;
      if (typeof s[key] !== 'string') return undefined;
      server[key] = s[key];
    }
    if (s.args !== undefined) {
      if (!Array.isArray(s.args) || !s.args.every((a) => typeof a === 'string')) return undefined;
      server.args = s.args;
    }
    if (s.env !== undefined) {
      if (typeof s.env !== 'object' || s.env === null || Array.isArray(s.env)) return undefined;
      const env = Object.entries(s.env as Record<string, unknown>);
      // Keys become environment variable names of the MCP server's process.
      if (!env.every(([k, v]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && typeof v === 'string'))
        return undefined;
      server.env = Object.fromEntries(env) as Record<string, string>;
    }
    servers.push(server);
  }
  return servers;
}
