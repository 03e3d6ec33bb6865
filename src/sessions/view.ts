// The wire view of a session: the stored record plus what only the running daemon knows (is the
// process alive, is a turn in progress), condensed into health, eligibility and a badge.
import type {
  AcpCapabilities,
  SessionFailure,
  SessionLineage,
  SessionRecord,
  SessionState,
  SessionType,
  StopReason,
} from './types.ts';

export type WakeIneligibilityReason =
  | 'session_prompt_active'
  | 'session_not_attachable'
  | 'session_unhealthy'
  | 'session_health_stale'
  | 'session_health_hung'
  | 'session_health_dead'
  | 'session_health_unknown';

export interface SessionHealth {
  session_id: string;
  workspace_id: string;
  agent_name: string;
  state: 'idle' | 'prompting' | 'stopped' | 'detached';
  health: 'healthy' | 'degraded' | 'stale' | 'dead' | 'unknown';
  active_prompt: boolean;
  attachable: boolean;
  eligible_for_wake: boolean;
  ineligibility_reason?: WakeIneligibilityReason;
  last_activity_at: string | null;
  updated_at: string;
}

export interface SessionActivity {
  turn_id: string;
  turn_source: string;
  turn_started_at: string;
  elapsed_ms: number;
  elapsed_seconds: number;
  idle_seconds: number;
  iteration_current: number;
  iteration_max: number;
  last_activity_at: string | null;
  last_activity_kind?: string;
}

export interface Session {
  id: string;
  name?: string;
  agent_name: string;
  provider: string;
  model?: string;
  type: SessionType;
  state: SessionState;
  stop_reason?: StopReason;
  stop_detail?: string;
  failure?: SessionFailure | null;
  workspace_id: string;
  workspace_path: string;
  channel?: string;
  attachable: boolean;
  badge: string;
  health: SessionHealth;
  activity?: SessionActivity | null;
  lineage: SessionLineage;
  acp_session_id?: string;
  acp_caps?: AcpCapabilities | null;
  created_at: string;
  updated_at: string;
}

/** What the daemon running the session knows right now; absent when no live process is here. */
export interface LiveFacts {
  processAlive: boolean;
  turn?: { id: string; source: string; startedAt: Date; lastActivityAt: Date; lastKind?: string };
}

export function toSessionView(record: SessionRecord, live: LiveFacts | undefined, now: Date): Session {
  const attachable = record.state === 'active' && live?.processAlive === true;
  const prompting = attachable && live?.turn !== undefined;
  const health = deriveHealth(record, live, attachable, prompting);
  const view: Session = {
    id: record.id,
    agent_name: record.agent_name,
    provider: record.provider,
    type: record.type,
    state: record.state,
    workspace_id: record.workspace_id,
    workspace_path: record.workspace_path,
    attachable,
    badge: badge(record, health, prompting),
    health,
    lineage: record.lineage,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
  if (record.name !== undefined) view.name = record.name;
  if (record.model !== undefined) view.model = record.model;
  if (record.stop_reason !== undefined) view.stop_reason = record.stop_reason;
  if (record.stop_detail !== undefined) view.stop_detail = record.stop_detail;
  if (record.failure !== undefined) view.failure = record.failure;
  if (record.channel !== undefined) view.channel = record.channel;
  if (record.acp_session_id !== undefined) view.acp_session_id = record.acp_session_id;
  if (record.acp_caps !== undefined) view.acp_caps = record.acp_caps;
  if (prompting && live?.turn) {
    const elapsed = Math.max(0, now.getTime() - live.turn.startedAt.getTime());
    view.activity = {
      turn_id: live.turn.id,
      turn_source: live.turn.source,
      turn_started_at: live.turn.startedAt.toISOString(),
      elapsed_ms: elapsed,
      elapsed_seconds: Math.floor(elapsed / 1000),
      idle_seconds: Math.max(0, Math.floor((now.getTime() - live.turn.lastActivityAt.getTime()) / 1000)),
      iteration_current: 1,
      iteration_max: 1,
      last_activity_at: live.turn.lastActivityAt.toISOString(),
    };
    if (live.turn.lastKind !== undefined) view.activity.last_activity_kind = live.turn.lastKind;
  }
  return view;
}

function deriveHealth(
  record: SessionRecord,
  live: LiveFacts | undefined,
  attachable: boolean,
  prompting: boolean,
): SessionHealth {
  let state: SessionHealth['state'];
  let health: SessionHealth['health'];
  let reason: WakeIneligibilityReason | undefined;
  if (record.state === 'stopped') {
    state = 'stopped';
    health = 'dead';
    reason = 'session_health_dead';
  } else if (record.state === 'active' && attachable) {
    state = prompting ? 'prompting' : 'idle';
    health = 'healthy';
    if (prompting) reason = 'session_prompt_active';
  } else {
    // Starting, stopping, or active on a daemon that is not this one.
    state = 'detached';
    health = 'unknown';
    reason =
      live === undefined && record.state === 'active' ? 'session_not_attachable' : 'session_health_unknown';
  }
  const h: SessionHealth = {
    session_id: record.id,
    workspace_id: record.workspace_id,
    agent_name: record.agent_name,
    state,
    health,
    active_prompt: prompting,
    attachable,
    eligible_for_wake: reason === undefined,
    last_activity_at: record.last_activity_at ?? null,
    updated_at: record.updated_at,
  };
  if (reason !== undefined) h.ineligibility_reason = reason;
  return h;
}

function badge(record: SessionRecord, health: SessionHealth, prompting: boolean): string {
  if (record.state === 'stopped') return record.failure ? 'failed' : 'stopped';
  if (record.state === 'starting' || record.state === 'stopping' || prompting) return 'running';
  if (health.state === 'idle') return 'idle';
  return 'unknown';
}
