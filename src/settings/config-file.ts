// The shape of config.toml, checked strictly: a misspelt key is an error that names it, never a
// setting silently ignored. `$AGH_HOME/config.toml` holds daemon settings; a workspace's
// `.agh/config.toml` may override only the per-workspace sections.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lowercase letters, digits, - or _');

const ProviderSchema = z.strictObject({
  command: z.string().min(1).optional(),
  harness: z.enum(['acp', 'process']).optional(),
  display_name: z.string().optional(),
  model: z.string().optional(),
});

const SoulSchema = z.strictObject({
  enabled: z.boolean().optional(),
  max_body_bytes: z.number().int().min(256).max(1_048_576).optional(),
  context_projection_bytes: z.number().int().min(256).max(1_048_576).optional(),
});

const CoordinatorSchema = z.strictObject({
  enabled: z.boolean().optional(),
  agent_name: name.optional(),
  provider: name.optional(),
  model: z.string().optional(),
  default_ttl_seconds: z.number().int().min(60).max(86_400).optional(),
  max_children: z.number().int().min(1).max(5).optional(),
  max_active_sessions_per_workspace: z.number().int().min(0).max(1000).optional(),
});

const WorkspaceSections = {
  agents: z.strictObject({ soul: SoulSchema.optional() }).optional(),
  autonomy: z.strictObject({ coordinator: CoordinatorSchema.optional() }).optional(),
};

const FileSchema = z.strictObject({
  http: z
    .strictObject({
      host: z.string().optional(),
      port: z.number().optional(),
      allow_remote: z.boolean().optional(),
    })
    .optional(),
  database: z.strictObject({ url: z.string().optional() }).optional(),
  log: z.strictObject({ level: z.string().optional() }).optional(),
  defaults: z.strictObject({ agent: name.optional(), provider: name.optional() }).optional(),
  providers: z.record(name, ProviderSchema).optional(),
  sessions: z
    .strictObject({
      start_timeout_seconds: z.number().int().min(1).max(3600).optional(),
      // `agh daemon stop` waits 15 s for the whole shutdown.
      stop_grace_seconds: z.number().int().min(1).max(10).optional(),
      reaper_interval_seconds: z.number().int().min(1).max(3600).optional(),
      spawn_max_children: z.number().int().min(0).max(100).optional(),
      spawn_max_depth: z.number().int().min(0).max(10).optional(),
      spawn_max_active_per_workspace: z.number().int().min(0).max(1000).optional(),
    })
    .optional(),
  tasks: z
    .strictObject({
      // The lease sweeper and starvation ladder run this often (and once at boot).
      sweep_interval_seconds: z.number().int().min(1).max(3600).optional(),
      starvation_after_seconds: z.number().int().min(1).max(86_400).optional(),
      starvation_cycles: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
  dispatcher: z
    .strictObject({
      // Start sessions for queued work (false: only sessions that already run take work).
      enabled: z.boolean().optional(),
      max_sessions: z.number().int().min(0).max(1000).optional(),
      max_sessions_per_workspace: z.number().int().min(0).max(1000).optional(),
      idle_stop_seconds: z.number().int().min(1).max(86_400).optional(),
      lease_seconds: z.number().int().min(10).max(86_400).optional(),
    })
    .optional(),
  ...WorkspaceSections,
});

const WorkspaceFileSchema = z.strictObject(WorkspaceSections);

export type FileConfig = z.infer<typeof FileSchema>;
export type WorkspaceFileConfig = z.infer<typeof WorkspaceFileSchema>;
export type SoulFileConfig = z.infer<typeof SoulSchema>;
export type CoordinatorFileConfig = z.infer<typeof CoordinatorSchema>;
export type ProviderFileConfig = z.infer<typeof ProviderSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `{}` when the file does not exist. */
export function readConfigFile(path: string): FileConfig {
  return parseWith(FileSchema, path, readToml(path));
}

/** A workspace's `.agh/config.toml` (already read); only [agents] and [autonomy] may appear there. */
export function parseWorkspaceConfig(path: string, text: string): WorkspaceFileConfig {
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseWith(WorkspaceFileSchema, path, data);
}

function readToml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function parseWith<T>(schema: z.ZodType<T>, path: string, data: unknown): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    if (where === '') {
      const known = Object.keys((schema as unknown as z.ZodObject).shape).join(', ');
      throw new ConfigError(`${path}: unknown section [${key}] (known: ${known})`);
    }
    throw new ConfigError(`${path}: unknown key ${where}.${key}`);
  }
  if (issue.code === 'invalid_type') {
    throw new ConfigError(
      `${path}: ${where} must be a ${issue.expected === 'object' ? 'table' : issue.expected}`,
    );
  }
  throw new ConfigError(`${path}: ${where}: ${issue.message}`);
}
