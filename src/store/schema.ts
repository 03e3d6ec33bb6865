// Row types of every table, as Kysely sees them. Timestamps are ISO-8601 UTC text in both dialects,
// so they sort and compare the same way on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

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

export interface TaskTable {
  id: string;
  identifier: string | null;
  scope: string;
  workspace_id: string | null;
  parent_task_id: string | null;
  /** 1 for a root task. */
  depth: number;
  network_channel: string | null;
  title: string;
  description: string | null;
  priority: string;
  max_attempts: number;
  /** 0 or 1. */
  auto_enqueue_on_ready: number;
  status: string;
  approval_policy: string;
  approval_state: string;
  owner_kind: string | null;
  owner_ref: string | null;
  current_run_id: string | null;
  /** 0 or 1. */
  paused: number;
  paused_by: string | null;
  paused_at: string | null;
  paused_reason: string | null;
  paused_by_task_id: string | null;
  created_by_kind: string;
  created_by_ref: string;
  origin_kind: string;
  origin_ref: string;
  /** JSON. */
  metadata: string | null;
  /** bigint: a string on PostgreSQL. */
  latest_event_seq: number | string;
  last_activity_at: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface TaskRunTable {
  id: string;
  task_id: string;
  status: string;
  attempt: number;
  priority_weight: number;
  previous_run_id: string | null;
  failure_kind: string | null;
  claimed_by_kind: string | null;
  claimed_by_ref: string | null;
  session_id: string | null;
  origin_kind: string;
  origin_ref: string;
  idempotency_key: string | null;
  network_channel: string | null;
  claim_token_hash: string | null;
  lease_until: string | null;
  heartbeat_at: string | null;
  coordination_channel_id: string | null;
  queued_at: string;
  claimed_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  /** JSON. */
  metadata: string | null;
  /** JSON. */
  result: string | null;
  wake_count: Generated<number>;
  wake_tier: Generated<number>;
}

export interface TaskDependencyTable {
  task_id: string;
  depends_on_task_id: string;
  kind: string;
  created_at: string;
}

/** The one event log: every source's events, in one global sequence. */
export interface EventTable {
  /** Global, strictly increasing; bigint (a string on PostgreSQL). */
  seq: number | string;
  id: string;
  /** What the event is about: `task`, `session`, … with that thing's id. */
  scope_kind: string;
  scope_id: string;
  run_id: string | null;
  type: string;
  actor_kind: string;
  actor_ref: string;
  origin_kind: string;
  origin_ref: string;
  /** JSON object. */
  payload: string;
  at: string;
}

/** Where each durable consumer of the event log has got to. */
export interface EventCursorTable {
  name: string;
  seq: number | string;
  updated_at: string;
}

export interface CounterTable {
  name: string;
  value: number | string;
}

export interface TaskRunIdempotencyTable {
  key: string;
  origin_kind: string;
  origin_ref: string;
  task_id: string;
  run_id: string;
  created_at: string;
}

export interface SchedulerStateTable {
  id: number;
  paused: number;
  paused_by: string | null;
  paused_at: string | null;
  paused_reason: string | null;
  updated_at: string | null;
}

export interface Tables {
  workspaces: WorkspaceTable;
  sessions: SessionTable;
  session_events: SessionEventTable;
  tasks: TaskTable;
  task_runs: TaskRunTable;
  task_dependencies: TaskDependencyTable;
  events: EventTable;
  event_cursors: EventCursorTable;
  counters: CounterTable;
  task_run_idempotency: TaskRunIdempotencyTable;
  scheduler_state: SchedulerStateTable;
}
