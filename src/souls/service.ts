// Reading and validating an agent's SOUL.md for the Agent API. A missing soul is valid ("missing");
// a soul switched off in config is present but inactive; links inside a workspace are not followed.
import { dirname, join, relative } from 'node:path';
import type { AgentCatalog, WorkspaceRoots } from '../agents/catalog.ts';
import type { FileConfig } from '../settings/config-file.ts';
import {
  readWorkspaceConfig,
  settingsDigest,
  soulSettings,
  type SoulSettings,
} from '../settings/workspace-config.ts';
import { AppError } from '../lib/errors.ts';
import { readRegularFile } from '../lib/files.ts';
import { type ParsedSoul, parseSoul, type SoulDiagnostic, type SoulFrontmatter } from './soul.ts';

export const SOUL_FILE = 'SOUL.md';

export interface AgentSoul {
  agent_name: string;
  enabled: boolean;
  present: boolean;
  active: boolean;
  valid: boolean;
  validation_status: 'missing' | 'inactive' | 'valid' | 'invalid';
  digest?: string;
  source_path?: string;
  frontmatter: SoulFrontmatter;
  body?: string;
  limits: { max_bytes: number; max_body_bytes: number; context_projection_bytes: number };
  config_provenance: {
    digest: string;
    source: string;
    enabled: boolean;
    max_body_bytes: number;
    context_projection_bytes: number;
  };
  diagnostics?: SoulDiagnostic[];
}

export interface SoulTarget {
  workspace: WorkspaceRoots;
  agentName: string;
}

export class SoulService {
  readonly #agents: AgentCatalog;
  readonly #config: FileConfig;

  constructor(deps: { agents: AgentCatalog; config: FileConfig }) {
    this.#agents = deps.agents;
    this.#config = deps.config;
  }

  /** `body` given: validate that text as if it were the agent's SOUL.md. */
  async evaluate(target: SoulTarget, body?: string): Promise<AgentSoul> {
    const settings = soulSettings(this.#config, await readWorkspaceConfig(target.workspace.root_dir));
    const agent = await this.#agents.find(target.workspace, target.agentName);
    if (!agent) {
      throw new AppError('agent_not_found', `agent "${target.agentName}" is not defined in this workspace`);
    }
    const base = this.#base(target.agentName, settings);
    if (!agent.dir || !agent.root) return base;
    const path = join(agent.dir, SOUL_FILE);
    // Workspace agents answer to the workspace root; $AGH_HOME agents to the directory above agents/.
    const trustedRoot = agent.root.followLinks ? dirname(agent.root.dir) : target.workspace.root_dir;
    const sourcePath = relative(trustedRoot, path);
    let text = body;
    if (text === undefined || text.trim() === '') {
      const read = await readRegularFile(path, settings.max_body_bytes * 2 + 4096);
      if (read.kind === 'missing') return base;
      if (read.kind !== 'ok') {
        const reason =
          read.kind === 'symlink'
            ? 'is a symbolic link; links are not followed inside a workspace'
            : read.kind === 'too_large'
              ? `is larger than ${settings.max_body_bytes * 2} bytes`
              : 'is not a regular file';
        const code = read.kind === 'too_large' ? 'oversized_body' : 'path_escape';
        return this.#judged(base, sourcePath, settings, undefined, [
          { code, severity: 'error', message: `${sourcePath} ${reason}`, source_path: sourcePath },
        ]);
      }
      text = read.text;
    }
    const parsed = parseSoul(text, sourcePath, settings.max_body_bytes);
    return this.#judged(base, sourcePath, settings, parsed, parsed.diagnostics);
  }

  #base(agentName: string, settings: SoulSettings): AgentSoul {
    return {
      agent_name: agentName,
      enabled: settings.enabled,
      present: false,
      active: false,
      valid: true,
      validation_status: 'missing',
      frontmatter: {},
      limits: {
        max_bytes: settings.max_body_bytes * 2,
        max_body_bytes: settings.max_body_bytes,
        context_projection_bytes: settings.context_projection_bytes,
      },
      config_provenance: {
        digest: settingsDigest(settings),
        source: 'workspace',
        enabled: settings.enabled,
        max_body_bytes: settings.max_body_bytes,
        context_projection_bytes: settings.context_projection_bytes,
      },
    };
  }

  #judged(
    base: AgentSoul,
    sourcePath: string,
    settings: SoulSettings,
    parsed: ParsedSoul | undefined,
    diagnostics: SoulDiagnostic[],
  ): AgentSoul {
    const valid = diagnostics.length === 0;
    const soul: AgentSoul = {
      ...base,
      present: true,
      valid,
      active: valid && settings.enabled,
      validation_status: !valid ? 'invalid' : settings.enabled ? 'valid' : 'inactive',
      source_path: sourcePath,
    };
    if (parsed) {
      soul.frontmatter = parsed.frontmatter;
      soul.body = parsed.body;
      soul.digest = parsed.digest;
    }
    if (!valid) soul.diagnostics = diagnostics;
    return soul;
  }
}
