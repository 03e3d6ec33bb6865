// Vocabulary of the task kernel (tasks.md §1): enums in contract order, limits and the records the
// services hand around. Wire shapes live in src/http/schemas/tasks.ts.

export const TASK_STATUSES = [
  'draft',
  'pending',
  'blocked',
  'ready',
  'in_progress',
  'completed',
  'failed',
  'canceled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'canceled']);

export const RUN_STATUSES = [
  'queued',
  'claimed',
  'starting',
  'running',
  'completed',
  'failed',
  'canceled',
  'needs_attention',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Runs that hold ownership: a lease, a manual claim or a bound session. */
export const ACTIVE_RUN_STATUSES = ['claimed', 'starting', 'running'] as const satisfies readonly RunStatus[];
/** Runs that block a new enqueue or a delete (§3.2): everything not terminal. */
export const OPEN_RUN_STATUSES = [
  'queued',
  'claimed',
  'starting',
  'running',
  'needs_attention',
] as const satisfies readonly RunStatus[];
export const TERMINAL_RUN_STATUSES = [
  'completed',
  'failed',
  'canceled',
] as const satisfies readonly RunStatus[];

export function isActiveRun(status: string): boolean {
  return (ACTIVE_RUN_STATUSES as readonly string[]).includes(status);
}
export function isOpenRun(status: string): boolean {
  return (OPEN_RUN_STATUSES as readonly string[]).includes(status);
}
export function isTerminalRun(status: string): boolean {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const PRIORITY_WEIGHT: Record<TaskPriority, number> = { low: 10, medium: 20, high: 30, urgent: 40 };

export const SCOPES = ['global', 'workspace'] as const;
export type Scope = (typeof SCOPES)[number];

export const APPROVAL_POLICIES = ['none', 'manual'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];
export const APPROVAL_STATES = ['not_required', 'pending', 'approved', 'rejected'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export const OWNER_KINDS = [
  'human',
  'agent_session',
  'automation',
  'extension',
  'network_peer',
  'pool',
] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];
export const ACTOR_KINDS = [
  'human',
  'agent_session',
  'automation',
  'extension',
  'network_peer',
  'daemon',
] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];
export const ORIGIN_KINDS = [
  'cli',
  'web',
  'uds',
  'http',
  'automation',
  'extension',
  'network',
  'agent_session',
  'daemon',
] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];

export const DEPENDENCY_KINDS = ['blocks'] as const;

export interface OwnerRef {
  kind: OwnerKind;
  ref: string;
}
export interface ActorRef {
  kind: ActorKind;
  ref: string;
}
export interface OriginRef {
  kind: OriginKind;
  ref: string;
}

/** Who is acting, and through which surface: stamped on tasks, runs and events. */
export interface Actor {
  actor: ActorRef;
  origin: OriginRef;
  /** The acting session, when a session acts (its claims and ownership checks use it). */
  sessionId?: string;
}

export const LIMITS = {
  defaultMaxAttempts: 3,
  maxAttempts: 10,
  defaultLeaseSeconds: 300,
  maxLeaseSeconds: 86_400,
  maxDepth: 8,
  maxChildren: 64,
  maxDependencies: 32,
  metadataBytes: 16 * 1024,
  resultBytes: 64 * 1024,
  retryChainDepth: 10,
  bulkIds: 50,
  sweepBatch: 100,
  backlogDefault: 50,
  backlogMax: 500,
} as const;

export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
