// Task, run and event records as the services see them: rows with JSON parsed, flags as booleans and
// references as objects. Conversion to and from rows lives here and nowhere else.
import type { Selectable } from 'kysely';
import type { TaskRunTable, TaskTable } from '../store/schema.ts';
import type {
  ActorRef,
  ApprovalPolicy,
  ApprovalState,
  OriginRef,
  OwnerRef,
  RunStatus,
  Scope,
  TaskPriority,
  TaskStatus,
} from './types.ts';

export interface TaskRecord {
  id: string;
  identifier: string | null;
  scope: Scope;
  workspace_id: string | null;
  parent_task_id: string | null;
  depth: number;
  network_channel: string | null;
  title: string;
  description: string | null;
  priority: TaskPriority;
  max_attempts: number;
  auto_enqueue_on_ready: boolean;
  status: TaskStatus;
  approval_policy: ApprovalPolicy;
  approval_state: ApprovalState;
  owner: OwnerRef | null;
  current_run_id: string | null;
  paused: boolean;
  paused_by: string | null;
  paused_at: string | null;
  paused_reason: string | null;
  paused_by_task_id: string | null;
  created_by: ActorRef;
  origin: OriginRef;
  metadata: unknown;
  latest_event_seq: number;
  last_activity_at: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface RunRecord {
  id: string;
  task_id: string;
  status: RunStatus;
  attempt: number;
  previous_run_id: string | null;
  failure_kind: string | null;
  claimed_by: ActorRef | null;
  session_id: string | null;
  origin: OriginRef;
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
  metadata: unknown;
  result: unknown;
  wake_count: number;
  wake_tier: number;
}

export interface EventRecord {
  seq: number;
  id: string;
  task_id: string;
  run_id: string | null;
  type: string;
  actor: ActorRef;
  origin: OriginRef;
  payload: Record<string, unknown>;
  timestamp: string;
}

export function parseJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function taskFromRow(row: Selectable<TaskTable>): TaskRecord {
  return {
    id: row.id,
    identifier: row.identifier,
    scope: row.scope as Scope,
    workspace_id: row.workspace_id,
    parent_task_id: row.parent_task_id,
    depth: Number(row.depth),
    network_channel: row.network_channel,
    title: row.title,
    description: row.description,
    priority: row.priority as TaskPriority,
    max_attempts: Number(row.max_attempts),
    auto_enqueue_on_ready: Number(row.auto_enqueue_on_ready) === 1,
    status: row.status as TaskStatus,
    approval_policy: row.approval_policy as ApprovalPolicy,
    approval_state: row.approval_state as ApprovalState,
    owner:
      row.owner_kind !== null && row.owner_ref !== null
        ? ({ kind: row.owner_kind, ref: row.owner_ref } as OwnerRef)
        : null,
    current_run_id: row.current_run_id,
    paused: Number(row.paused) === 1,
    paused_by: row.paused_by,
    paused_at: row.paused_at,
    paused_reason: row.paused_reason,
    paused_by_task_id: row.paused_by_task_id,
    created_by: { kind: row.created_by_kind, ref: row.created_by_ref } as ActorRef,
    origin: { kind: row.origin_kind, ref: row.origin_ref } as OriginRef,
    metadata: parseJson(row.metadata),
    latest_event_seq: Number(row.latest_event_seq),
    last_activity_at: row.last_activity_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    closed_at: row.closed_at,
  };
}

export function runFromRow(row: Selectable<TaskRunTable>): RunRecord {
  return {
    id: row.id,
    task_id: row.task_id,
    status: row.status as RunStatus,
    attempt: Number(row.attempt),
    previous_run_id: row.previous_run_id,
    failure_kind: row.failure_kind,
    claimed_by:
      row.claimed_by_kind !== null && row.claimed_by_ref !== null
        ? ({ kind: row.claimed_by_kind, ref: row.claimed_by_ref } as ActorRef)
        : null,
    session_id: row.session_id,
    origin: { kind: row.origin_kind, ref: row.origin_ref } as OriginRef,
    idempotency_key: row.idempotency_key,
    network_channel: row.network_channel,
    claim_token_hash: row.claim_token_hash,
    lease_until: row.lease_until,
    heartbeat_at: row.heartbeat_at,
    coordination_channel_id: row.coordination_channel_id,
    queued_at: row.queued_at,
    claimed_at: row.claimed_at,
    started_at: row.started_at,
    ended_at: row.ended_at,
    error: row.error,
    metadata: parseJson(row.metadata),
    result: parseJson(row.result),
    wake_count: Number(row.wake_count),
    wake_tier: Number(row.wake_tier),
  };
}
