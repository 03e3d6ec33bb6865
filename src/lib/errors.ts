// The one error catalogue: every domain error has a code, an HTTP status and a title.
// Services throw AppError with a code from here; the HTTP layer turns it into the wire envelope,
// so no route ever picks a status on its own.

export const ERROR_CATALOGUE = {
  // Transport and protocol
  invalid_request: { status: 400, category: 'validation', title: 'Invalid request' },
  invalid_json: { status: 400, category: 'validation', title: 'Malformed JSON body' },
  malformed_request: { status: 400, category: 'validation', title: 'Malformed HTTP request' },
  request_timeout: { status: 408, category: 'validation', title: 'Request not received in time' },
  headers_too_large: { status: 431, category: 'validation', title: 'Request headers too large' },
  unauthorized: { status: 401, category: 'auth', title: 'Authentication required' },
  route_not_found: { status: 404, category: 'routing', title: 'No such route' },
  body_too_large: { status: 413, category: 'validation', title: 'Request body too large' },
  unsupported_media_type: { status: 415, category: 'validation', title: 'Unsupported content type' },
  internal_error: { status: 500, category: 'internal', title: 'Internal error' },
  not_implemented: { status: 501, category: 'availability', title: 'Not implemented yet' },
  shutting_down: { status: 503, category: 'availability', title: 'The daemon is shutting down' },
  // Workspaces
  workspace_not_found: { status: 404, category: 'workspace', title: 'Workspace not found' },
  workspace_path_invalid: { status: 400, category: 'workspace', title: 'Invalid workspace path' },
  workspace_path_missing: { status: 410, category: 'workspace', title: 'Workspace directory is gone' },
  workspace_path_not_directory: { status: 400, category: 'workspace', title: 'Not a directory' },
  workspace_path_taken: { status: 409, category: 'workspace', title: 'Path already registered' },
  workspace_name_taken: { status: 409, category: 'workspace', title: 'Name already in use' },
  workspace_has_live_sessions: { status: 409, category: 'workspace', title: 'Workspace has live sessions' },
  workspace_identity_unwritable: {
    status: 400,
    category: 'workspace',
    title: 'Cannot write the workspace identity file',
  },
  workspace_identity_malformed: {
    status: 400,
    category: 'workspace',
    title: 'Malformed workspace identity file',
  },
  // Sessions and agents
  session_not_found: { status: 404, category: 'session', title: 'Session not found' },
  session_not_active: { status: 409, category: 'session', title: 'Session is not active' },
  session_busy: { status: 409, category: 'session', title: 'A turn is already running' },
  session_elsewhere: { status: 409, category: 'session', title: 'Session runs on another daemon' },
  prompt_not_supported: { status: 400, category: 'session', title: 'This session takes no prompts' },
  agent_not_available: { status: 400, category: 'agent', title: 'Agent not available in workspace' },
  agent_definition_invalid: { status: 400, category: 'agent', title: 'Invalid agent definition' },
  agent_command_invalid: { status: 400, category: 'agent', title: 'Invalid agent command' },
  provider_unknown: { status: 400, category: 'agent', title: 'Unknown provider' },
  agent_start_failed: { status: 422, category: 'session', title: 'The agent could not be started' },
  agent_not_found: { status: 404, category: 'agent', title: 'Agent not found' },
  // Agent identity (/api/agent/*)
  identity_required: { status: 401, category: 'session', title: 'Agent identity error' },
  identity_stale: { status: 401, category: 'session', title: 'Agent identity error' },
  identity_mismatch: { status: 401, category: 'session', title: 'Agent identity error' },
  identity_unauthorized: { status: 403, category: 'session', title: 'Agent identity error' },
  session_token_scope: { status: 403, category: 'auth', title: 'Session tokens only reach /api/agent/*' },
  // Spawning child sessions
  spawn_invalid: { status: 422, category: 'spawn', title: 'Spawn validation failed' },
  spawn_limit: { status: 409, category: 'spawn', title: 'Spawn limit exceeded' },
  spawn_permission_denied: { status: 403, category: 'spawn', title: 'Spawn permission denied' },
  // Souls
  soul_invalid: { status: 422, category: 'soul', title: 'Invalid soul document' },
  // Tasks, runs and leases: validation is 422 as the contract says, conflicts 409.
  task_invalid: { status: 422, category: 'task', title: 'Invalid task request' },
  payload_too_large: { status: 413, category: 'task', title: 'Payload too large' },
  task_not_found: { status: 404, category: 'task', title: 'Task not found' },
  run_not_found: { status: 404, category: 'task', title: 'Task run not found' },
  dependency_not_found: { status: 404, category: 'task', title: 'Dependency not found' },
  task_exists: { status: 409, category: 'task', title: 'Task id already in use' },
  task_transition_invalid: { status: 409, category: 'task', title: 'Invalid transition' },
  task_blocked: { status: 409, category: 'task', title: 'Task is blocked' },
  task_has_open_run: { status: 409, category: 'task', title: 'Task already has an open run' },
  task_attempts_exhausted: { status: 409, category: 'task', title: 'Attempt budget used up' },
  task_graph_limit: { status: 409, category: 'task', title: 'Task graph limit reached' },
  task_dependency_cycle: { status: 409, category: 'task', title: 'Dependency cycle' },
  task_dependency_exists: { status: 409, category: 'task', title: 'Dependency already exists' },
  task_not_deletable: { status: 400, category: 'task', title: 'Task cannot be deleted yet' },
  idempotency_key_conflict: { status: 422, category: 'task', title: 'Idempotency key bound to another task' },
  force_op_requires_reason: { status: 422, category: 'task', title: 'A reason is required' },
  task_run_already_terminal: { status: 409, category: 'task', title: 'Already finished' },
  task_run_still_active: { status: 409, category: 'task', title: 'Run is still active' },
  task_run_not_releasable: { status: 409, category: 'task', title: 'Run cannot be released' },
  task_run_not_recoverable: { status: 409, category: 'task', title: 'Run cannot be recovered' },
  retry_chain_too_deep: { status: 422, category: 'task', title: 'Retry chain too deep' },
  bulk_too_large: { status: 422, category: 'task', title: 'Too many runs in one request' },
  requires_token_fenced_completion: {
    status: 409,
    category: 'task',
    title: 'Leased runs are finished by their lease holder',
  },
  session_already_bound: { status: 409, category: 'task', title: 'Run already has a session' },
  claim_token_invalid: { status: 409, category: 'lease', title: 'Invalid claim token' },
  lease_expired: { status: 409, category: 'lease', title: 'Lease expired' },
  active_run_lease: { status: 409, category: 'lease', title: 'The session already holds a lease' },
  lease_already_held: { status: 409, category: 'lease', title: 'The session holds several leases' },
  no_active_lease: { status: 409, category: 'lease', title: 'No active lease' },
  lease_foreign_run: { status: 403, category: 'lease', title: 'Run leased by someone else' },
} as const satisfies Record<string, { status: number; category: string; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorDetails {
  /** Facts that help a person see what went wrong (never secrets). */
  evidence?: Record<string, unknown>;
  /** A command that would fix or explain the problem. */
  suggestedCommand?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

export function isAppError(err: unknown, code: ErrorCode): err is AppError {
  return err instanceof AppError && err.code === code;
}

export interface Diagnostic {
  id: string;
  code: string;
  severity: string;
  category: string;
  title: string;
  message: string;
  data_freshness: string;
  suggested_command?: string;
  evidence?: Record<string, unknown>;
}

export interface ErrorEnvelope {
  error: string;
  diagnostic?: Diagnostic;
}

/** Builds the wire envelope `{error, diagnostic}`; `diagnosticId` ties the reply to the request log. */
export function toEnvelope(err: AppError, diagnosticId: string): ErrorEnvelope {
  const entry = ERROR_CATALOGUE[err.code];
  const diagnostic: Diagnostic = {
    id: diagnosticId,
    code: err.code,
    severity: 'error',
    category: entry.category,
    title: entry.title,
    message: err.message,
    data_freshness: 'live',
  };
  if (err.details.suggestedCommand) diagnostic.suggested_command = err.details.suggestedCommand;
  if (err.details.evidence) diagnostic.evidence = err.details.evidence;
  return { error: err.message, diagnostic };
}
