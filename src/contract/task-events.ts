// The task scope of the event catalogue: every event type the task kernel appends, with the keys its
// payload carries. Timelines, streams and consumers show these payloads as they are, so each schema
// describes what the writers really emit, and a change of shape is a change of the API. A key that
// some writes leave out is optional (Unit.emit also drops undefined, null and '' values, so a key
// whose value can be missing is optional too). Run moves carry the standard keys transition()
// writes (status, task_status; previous_status and the operator's keys where the move says so).
import { z } from 'zod';
import { ActorRefSchema, OwnerRefSchema } from './tasks.ts';
import {
  ACTIVE_RUN_STATUSES,
  ACTOR_KINDS,
  APPROVAL_STATES,
  DEPENDENCY_KINDS,
  SCOPES,
  TASK_STATUSES,
} from './vocabulary.ts';

/** The fields a task update can change, as task.updated names them. */
export const TASK_UPDATE_FIELDS = [
  'title',
  'description',
  'priority',
  'max_attempts',
  'auto_enqueue_on_ready',
  'approval_policy',
  'metadata',
  'network_channel',
  'owner',
] as const;
export type TaskUpdateField = (typeof TASK_UPDATE_FIELDS)[number];

/** Why a lease was taken back by the sweep: the periodic one, or the one boot recovery runs first. */
export const LEASE_EXPIRY_REASONS = ['scheduler_sweep', 'orphaned_on_boot'] as const;
export type LeaseExpiryReason = (typeof LEASE_EXPIRY_REASONS)[number];

const taskStatus = z.enum(TASK_STATUSES);
const active = z.enum(ACTIVE_RUN_STATUSES);
/** Caller-supplied JSON (bounded, never a claim token); absent when the caller sent none. */
const metadata = z.unknown().optional();

/** A human (or other principal) overriding the normal flow says who did it. */
const operator = { manual: z.literal(true), actor_kind: z.enum(ACTOR_KINDS), actor_id: z.string() };

/** The keys every run move's event carries: the status the run reached, the task's status after. */
const moved = <S extends z.ZodType>(status: S) => ({ status, task_status: taskStatus });

const dependency = {
  depends_on_task_id: z.string(),
  kind: z.enum(DEPENDENCY_KINDS),
  status: taskStatus,
};

export const TASK_EVENTS = {
  // ---- tasks
  'task.created': z.object({
    scope: z.enum(SCOPES),
    /** Absent for global tasks. */
    workspace_id: z.string().optional(),
    parent_task_id: z.string().optional(),
    status: z.enum(['draft', 'blocked', 'ready']),
    network_channel: z.string().optional(),
    owner: OwnerRefSchema.optional(),
  }),
  /** On the parent's timeline. */
  'task.child_created': z.object({
    child_task_id: z.string(),
    child_scope: z.enum(SCOPES),
    child_workspace_id: z.string().optional(),
  }),
  'task.updated': z.object({ changed_fields: z.array(z.enum(TASK_UPDATE_FIELDS)).min(1), status: taskStatus }),
  'task.dependency_added': z.object(dependency),
  'task.dependency_removed': z.object({
    ...dependency,
    /** Only when the edge went with a deleted task; an explicit removal says nothing. */
    reason: z.string().optional(),
  }),
  'task.paused': z.object({
    ...operator,
    previous_paused: z.boolean(),
    paused: z.literal(true),
    reason: z.string(),
    metadata,
  }),
  'task.resumed': z.object({ ...operator, previous_paused: z.boolean(), paused: z.literal(false), metadata }),
  'task.published': z.object({
    previous_status: z.literal('draft'),
    status: taskStatus,
    approval_state: z.enum(APPROVAL_STATES),
  }),
  'task.approved': z.object({
    previous_approval_state: z.literal('pending'),
    approval_state: z.literal('approved'),
    status: taskStatus,
  }),
  'task.rejected': z.object({
    previous_approval_state: z.literal('pending'),
    approval_state: z.literal('rejected'),
    status: taskStatus,
  }),
  'task.canceled': z.object({
    reason: z.string().optional(),
    metadata,
    status: z.literal('canceled'),
    /** Set on the descendants of the task the cancel was asked for. */
    propagated_from_task_id: z.string().optional(),
    /** Kept when empty: "nothing was running" is worth saying. */
    canceled_run_ids: z.array(z.string()),
  }),

  // ---- runs outside the move table
  'task.run_enqueued': z.object({
    attempt: z.number().int().positive(),
    status: z.literal('queued'),
    task_status: taskStatus,
    network_channel: z.string().optional(),
    /** Absent for global tasks, which have no coordination channel. */
    coordination_channel_id: z.string().optional(),
    idempotency_key: z.string().optional(),
  }),
  /** Follows task.run_canceled when the run's session was live and is being stopped. */
  'task.run_force_stopped': z.object({
    session_id: z.string(),
    grace_timeout_ms: z.number(),
    propagated_from_task_id: z.string().optional(),
  }),
  'task.run_starved': z.object({ queued_at: z.string(), queued_age_ms: z.number() }),
  /** On the new run. */
  'task.run_operator_retry': z.object({
    ...operator,
    source_run_id: z.string(),
    new_run_id: z.string(),
    task_status: taskStatus,
  }),
  'task.dispatch_failed': z.object({
    agent: z.string(),
    workspace_id: z.string(),
    error: z.string(),
    retry_after_ms: z.number(),
  }),

  // ---- run moves (run-moves.ts), in the table's order
  'task.run_claimed': z.object({
    ...moved(z.literal('claimed')),
    claimed_by: ActorRefSchema,
    /** A manual claim has no lease and reports the Go zero time (0001-01-01T00:00:00Z). */
    lease_until: z.string(),
    /** Only claims through claim-next are leased and fenced by a token. */
    claim_token_hash: z.string().optional(),
  }),
  /** Absent session: the daemon is about to start one for the run. */
  'task.run_starting': z.object({ ...moved(z.literal('starting')), session_id: z.string().optional() }),
  'task.run_session_bound': z.object({ ...moved(z.literal('starting')), session_id: z.string() }),
  'task.run_started': z.object({ ...moved(z.literal('running')), session_id: z.string() }),
  /** A heartbeat: the run keeps its status. */
  'task.run_lease_extended': z.object({
    ...moved(active),
    lease_until: z.string(),
    heartbeat_at: z.string(),
    claim_token_hash: z.string(),
  }),
  /** The hash is there when the lease holder reported, absent when an operator did. */
  'task.run_completed': z.object({
    ...moved(z.literal('completed')),
    result: z.unknown().optional(),
    claim_token_hash: z.string().optional(),
  }),
  'task.run_failed': z.object({
    ...moved(z.literal('failed')),
    error: z.string(),
    metadata,
    claim_token_hash: z.string().optional(),
  }),
  /**
   * Back in the queue. Three writers: the holder (reason optional, session_id), the daemon when the
   * holder's session ended (reason `session_stopped`, session_id), and an operator's force-release
   * (the operator keys and what the run held before: previous_session_id, the truncated hash and
   * the lease, each absent for a manual claim).
   */
  'task.run_released': z.object({
    manual: operator.manual.optional(),
    actor_kind: operator.actor_kind.optional(),
    actor_id: operator.actor_id.optional(),
    previous_status: active,
    ...moved(z.literal('queued')),
    reason: z.string().optional(),
    session_id: z.string().optional(),
    previous_session_id: z.string().optional(),
    previous_claim_token_hash_truncated: z.string().optional(),
    previous_lease_until: z.string().optional(),
  }),
  'task.run_lease_expired': z.object({
    previous_status: active,
    ...moved(z.literal('queued')),
    reason: z.enum(LEASE_EXPIRY_REASONS),
    session_id: z.string(),
    lease_until: z.string(),
    previous_claim_token_hash: z.string(),
    coordination_channel_id: z.string().optional(),
  }),
  'task.run_needs_attention': z.object({
    previous_status: z.literal('queued'),
    ...moved(z.literal('needs_attention')),
    diagnostic: z.string(),
    queued_at: z.string(),
  }),
  /** Boot recovery of a run held by one of this daemon's sessions. */
  'task.run_recovered': z.object({
    previous_status: active,
    ...moved(z.enum(['running', 'queued', 'failed'])),
    action: z.enum(['resume', 'requeue', 'fail']),
    reason: z.literal('daemon_restart'),
    session_id: z.string(),
    session_state: z.enum(['active', 'stopped']),
    classification: z.enum(['live_session', 'orphaned']),
    detail: z.string(),
  }),
  'task.run_canceled': z.object({
    ...moved(z.literal('canceled')),
    reason: z.string().optional(),
    metadata,
    session_id: z.string().optional(),
    propagated_from_task_id: z.string().optional(),
    /** Present (true) when the session was live; task.run_force_stopped follows. */
    cooperative_stop_requested: z.literal(true).optional(),
  }),
  'task.run_operator_forced_fail': z.object({
    ...operator,
    previous_status: z.enum(['queued', 'claimed']),
    ...moved(z.literal('failed')),
    reason: z.string(),
    session_id: z.string().optional(),
    metadata,
  }),
  /** On the successor run, with the task's status after it was queued. */
  'task.run_recovered_from_attention': z.object({
    ...operator,
    previous_status: z.literal('needs_attention'),
    ...moved(z.literal('failed')),
    reason: z.string(),
    source_run_id: z.string(),
    new_run_id: z.string(),
  }),
} as const;

export type TaskEventType = keyof typeof TASK_EVENTS;

/**
 * What a writer hands to Unit.emit for `T`: the schema's input, where an optional key may also be
 * given as null (emit drops null, undefined and '' before storing, so the key is then absent).
 */
export type TaskEventPayload<T extends TaskEventType> = Emitted<z.input<(typeof TASK_EVENTS)[T]>>;

type Emitted<P> = { [K in keyof P]: undefined extends P[K] ? P[K] | null : P[K] };
