// The value sets of the wire contract (the enums of openapi.json), in contract order. Every layer
// takes them from here: the domain types, the schemas, the typed client and the CLI.

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

export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

export const SCOPES = ['global', 'workspace'] as const;

export const APPROVAL_POLICIES = ['none', 'manual'] as const;

export const APPROVAL_STATES = ['not_required', 'pending', 'approved', 'rejected'] as const;

export const OWNER_KINDS = [
  'human',
  'agent_session',
  'automation',
  'extension',
  'network_peer',
  'pool',
] as const;

export const ACTOR_KINDS = [
  'human',
  'agent_session',
  'automation',
  'extension',
  'network_peer',
  'daemon',
] as const;

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

export const DEPENDENCY_KINDS = ['blocks'] as const;

export const SESSION_STATES = ['starting', 'active', 'stopping', 'stopped'] as const;

export const SESSION_TYPES = ['user', 'dream', 'system', 'coordinator', 'spawned'] as const;

export const STOP_REASONS = [
  'completed',
  'user_canceled',
  'max_iterations',
  'loop_detected',
  'timeout',
  'budget_exceeded',
  'error',
  'agent_crashed',
  'hook_stopped',
  'shutdown',
] as const;

export const FAILURE_KINDS = [
  'startup_failure',
  'handshake_failure',
  'protocol_failure',
  'prompt_failure',
  'cancellation',
  'process_exit',
  'timeout',
  'unknown_failure',
] as const;

// What the statuses mean, as every client needs to know it too.
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'canceled']);
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Runs that hold ownership: a lease, a manual claim or a bound session. */
export const ACTIVE_RUN_STATUSES = ['claimed', 'starting', 'running'] as const satisfies readonly RunStatus[];
/** Runs that block a new enqueue or a delete: everything not terminal. */
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
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const PRIORITY_WEIGHT: Record<TaskPriority, number> = { low: 10, medium: 20, high: 30, urgent: 40 };
