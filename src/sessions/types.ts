import type { PermissionMode } from '../agents/definition.ts';
import type { SpawnBudget } from '../settings/settings.ts';
// The session model: one supervised agent process in a workspace.
import { FAILURE_KINDS, SESSION_STATES, SESSION_TYPES, STOP_REASONS } from '../contract/vocabulary.ts';

export { FAILURE_KINDS, SESSION_STATES, SESSION_TYPES, STOP_REASONS };

export type SessionState = (typeof SESSION_STATES)[number];

export type SessionType = (typeof SESSION_TYPES)[number];

export type StopReason = (typeof STOP_REASONS)[number];

export type FailureKind = (typeof FAILURE_KINDS)[number];

export type RunnerKind = 'acp' | 'process';

export const PERMISSION_CATEGORIES = [
  'tools',
  'skills',
  'mcp_servers',
  'workspace_paths',
  'network_channels',
  'sandbox_profiles',
] as const;
export type PermissionCategory = (typeof PERMISSION_CATEGORIES)[number];
export type PermissionPolicy = Record<PermissionCategory, string[]>;

export type { SpawnBudget } from '../settings/settings.ts';

export interface SessionLineage {
  parent_session_id?: string;
  root_session_id: string;
  spawn_depth: number;
  spawn_role?: string;
  ttl_expires_at: string | null;
  auto_stop_on_parent: boolean;
  spawn_budget: SpawnBudget;
  permission_policy: PermissionPolicy;
}

export interface SessionFailure {
  kind: FailureKind;
  summary?: string;
}

export interface AcpCapabilities {
  supports_load_session: boolean;
  supported_modes?: string[];
  supported_models?: string[];
}

/** A session as stored; the wire view (with health and badge) is derived from it. */
export interface SessionRecord {
  id: string;
  workspace_id: string;
  workspace_path: string;
  agent_name: string;
  name?: string;
  type: SessionType;
  runner: RunnerKind;
  provider: string;
  model?: string;
  command: string[];
  channel?: string;
  state: SessionState;
  stop_reason?: StopReason;
  stop_detail?: string;
  failure?: SessionFailure;
  owner: string;
  pid?: number;
  acp_session_id?: string;
  acp_caps?: AcpCapabilities;
  token_hash?: string;
  lineage: SessionLineage;
  prompt_overlay?: string;
  /** The agent's permission mode, never wider than its parent's. */
  permission_mode: PermissionMode;
  last_activity_at?: string;
  created_at: string;
  updated_at: string;
  stopped_at?: string;
}

export const EMPTY_POLICY: PermissionPolicy = {
  tools: [],
  skills: [],
  mcp_servers: [],
  workspace_paths: [],
  network_channels: [],
  sandbox_profiles: [],
};

export function isLive(state: SessionState): boolean {
  return state !== 'stopped';
}
