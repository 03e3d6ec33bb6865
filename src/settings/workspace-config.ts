// Settings that a workspace may override: `$AGH_HOME/config.toml` overlaid with the workspace's own
// `.agh/config.toml`. The workspace file is read without
// following links, like everything else inside a workspace.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AppError } from '../lib/errors.ts';
import { readRegularFile } from '../lib/files.ts';
import {
  ConfigError,
  type FileConfig,
  parseWorkspaceConfig,
  type WorkspaceFileConfig,
} from './config-file.ts';

export interface SoulSettings {
  enabled: boolean;
  max_body_bytes: number;
  context_projection_bytes: number;
}

export interface CoordinatorSettings {
  enabled: boolean;
  agent_name: string;
  provider?: string;
  model?: string;
  default_ttl_seconds: number;
  max_children: number;
  max_active_sessions_per_workspace: number;
  /** Where the values came from: the workspace file, the global file, or built-in defaults. */
  source: 'workspace' | 'global' | 'default';
}

export const SOUL_DEFAULTS: SoulSettings = {
  enabled: true,
  max_body_bytes: 32_768,
  context_projection_bytes: 2048,
};

const COORDINATOR_DEFAULTS = {
  enabled: false,
  agent_name: 'coordinator',
  default_ttl_seconds: 7200,
  max_children: 5,
  max_active_sessions_per_workspace: 5,
};

const MAX_WORKSPACE_CONFIG_BYTES = 256 * 1024;

export async function readWorkspaceConfig(root: string): Promise<WorkspaceFileConfig> {
  const path = join(root, '.agh', 'config.toml');
  const read = await readRegularFile(path, MAX_WORKSPACE_CONFIG_BYTES);
  if (read.kind === 'missing') return {};
  if (read.kind !== 'ok') {
    throw new AppError('invalid_request', `${path} cannot be used: ${read.kind.replace('_', ' ')}`);
  }
  try {
    return parseWorkspaceConfig(path, read.text);
  } catch (err) {
    if (err instanceof ConfigError) throw new AppError('invalid_request', err.message);
    throw err;
  }
}

export function soulSettings(global: FileConfig, workspace: WorkspaceFileConfig): SoulSettings {
  const settings = { ...SOUL_DEFAULTS, ...global.agents?.soul, ...workspace.agents?.soul };
  if (settings.context_projection_bytes > settings.max_body_bytes) {
    settings.context_projection_bytes = settings.max_body_bytes;
  }
  return settings;
}

export function coordinatorSettings(global: FileConfig, workspace: WorkspaceFileConfig): CoordinatorSettings {
  const fromWorkspace = workspace.autonomy?.coordinator;
  const fromGlobal = global.autonomy?.coordinator;
  const source =
    fromWorkspace && Object.keys(fromWorkspace).length > 0
      ? 'workspace'
      : fromGlobal && Object.keys(fromGlobal).length > 0
        ? 'global'
        : 'default';
  return { ...COORDINATOR_DEFAULTS, ...fromGlobal, ...fromWorkspace, source };
}

/** `sha256:<hex>` of a settings object, so that a reader can tell two configurations apart. */
export function settingsDigest(value: object): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;
}
