// Row types of every table, as Kysely sees them. Timestamps are ISO-8601 UTC text in both dialects,
// so they sort and compare the same way on SQLite and PostgreSQL.

export interface WorkspaceTable {
  id: string;
  stable_id: string;
  root_dir: string;
  /** Device and inode of root_dir when registered: finds the same directory under another path. */
  root_dev: string;
  root_ino: string;
  /** JSON array of canonical absolute paths. */
  add_dirs: string;
  name: string;
  default_agent: string | null;
  sandbox_ref: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  id: string;
  workspace_id: string;
  /** The workspace root when the session started; kept for display after the workspace is gone. */
  workspace_path: string;
  agent_name: string;
  name: string | null;
  type: string;
  runner: string;
  provider: string;
  model: string | null;
  /** JSON array: the argv the runner launched. */
  command: string;
  channel: string | null;
  state: string;
  stop_reason: string | null;
  stop_detail: string | null;
  failure_kind: string | null;
  failure_summary: string | null;
  /** The daemon that runs the session; only it may declare the session's process gone. */
  owner: string;
  pid: number | null;
  acp_session_id: string | null;
  /** JSON AcpCapabilities. */
  acp_caps: string | null;
  /** SHA-256 of the session token; cleared when the session stops, so the token dies with it. */
  token_hash: string | null;
  parent_session_id: string | null;
  root_session_id: string;
  spawn_depth: number;
  spawn_role: string | null;
  ttl_expires_at: string | null;
  /** 0 or 1. */
  auto_stop_on_parent: number;
  /** JSON SpawnBudget. */
  spawn_budget: string;
  /** JSON PermissionPolicy. */
  permission_policy: string;
  prompt_overlay: string | null;
  /** How the agent's permission requests are answered (approve_all, read_only, deny_all). */
  permission_mode: string;
  last_activity_at: string | null;
  created_at: string;
  updated_at: string;
  stopped_at: string | null;
}

export interface SessionEventTable {
  session_id: string;
  /** 1, 2, 3… within the session. */
  seq: number;
  type: string;
  /** JSON object. */
  data: string;
  created_at: string;
}

export interface Tables {
  workspaces: WorkspaceTable;
  sessions: SessionTable;
  session_events: SessionEventTable;
}
