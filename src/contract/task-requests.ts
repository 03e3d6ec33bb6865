// Request bodies (strict: unknown fields are refused), path parameters and query strings of the task
// kernel's operations.
import { z } from 'zod';
import { ApprovalPolicySchema, ApprovalStateSchema, OwnerKindSchema, OwnerRefSchema, ScopeSchema, TaskDependencyKindSchema, TaskPrioritySchema, TaskRunStatusSchema, TaskStatusSchema } from './task-shapes.ts';

// ---------------------------------------------------------------------------------------------
// Request bodies. Strict: unknown fields are rejected. Range checks (max_attempts, lease_seconds,
// metadata size, …) are the services' job so that they answer 422 with a precise diagnostic.
// ---------------------------------------------------------------------------------------------

export const CreateTaskRequestSchema = z
  .strictObject({
    scope: ScopeSchema,
    title: z.string(),
    workspace: z.string().optional().describe('Workspace id, name or path; for scope workspace.'),
    id: z.string().optional(),
    identifier: z.string().optional(),
    description: z.string().optional(),
    priority: TaskPrioritySchema.optional(),
    draft: z.boolean().optional(),
    owner: OwnerRefSchema.nullable().optional(),
    approval_policy: ApprovalPolicySchema.optional(),
    auto_enqueue_on_ready: z.boolean().optional(),
    max_attempts: z.number().int().nullable().optional(),
    network_channel: z.string().optional(),
    metadata: z.unknown().optional(),
  })
  .meta({
    id: 'CreateTaskRequest',
    description: 'Fields for a new task; only scope and title are mandatory.',
  });

export const UpdateTaskRequestSchema = z
  .strictObject({
    title: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    priority: TaskPrioritySchema.optional(),
    owner: OwnerRefSchema.nullable().optional(),
    clear_owner: z.boolean().optional(),
    approval_policy: ApprovalPolicySchema.optional(),
    auto_enqueue_on_ready: z.boolean().nullable().optional(),
    max_attempts: z.number().int().nullable().optional(),
    network_channel: z.string().nullable().optional(),
    metadata: z.unknown().optional(),
  })
  .meta({
    id: 'UpdateTaskRequest',
    description: 'Partial task update; omitted fields stay unchanged and nullable fields accept null.',
  });

export const AddTaskDependencyRequestSchema = z
  .strictObject({ depends_on_task_id: z.string(), kind: TaskDependencyKindSchema.optional() })
  .meta({ id: 'AddTaskDependencyRequest', description: 'Task to depend on and the edge kind.' });

/** Body of enqueue (POST /api/tasks/{id}/runs), publish, start and approve. */
export const EnqueueRunRequestSchema = z
  .strictObject({
    idempotency_key: z.string().optional(),
    metadata: z.unknown().optional(),
    network_channel: z.string().optional(),
  })
  .meta({
    id: 'EnqueueRunRequest',
    description: 'Optional idempotency key, metadata and channel for queueing a run.',
  });

/** Body of the manual run claim and start (POST /api/task-runs/{id}/claim|start). */
export const IdempotentActionRequestSchema = z
  .strictObject({ idempotency_key: z.string().optional() })
  .meta({ id: 'IdempotentActionRequest', description: 'Optional idempotency key.' });

/** Body of scheduler pause/resume and the agent's lease release. */
export const ReasonRequestSchema = z
  .strictObject({ reason: z.string().optional() })
  .meta({ id: 'ReasonRequest', description: 'Optional free-text reason.' });

/** Body of task cancel, run cancel, forced release and recover. */
export const ReasonOptionalActionRequestSchema = z
  .strictObject({ reason: z.string().optional(), metadata: z.unknown().optional() })
  .meta({ id: 'ReasonOptionalActionRequest', description: 'Action body with optional reason and metadata.' });

/**
 * Body of task pause and forced run fail. The contract requires `reason`, but the schema leaves it
 * optional on purpose: the service answers a missing reason with its own 422 diagnostic rather than
 * a generic 400.
 */
export const ReasonRequiredActionRequestSchema = z
  .strictObject({
    reason: z.string().optional().describe('Mandatory: a missing reason is answered with 422.'),
    metadata: z.unknown().optional(),
  })
  .meta({ id: 'ReasonRequiredActionRequest', description: 'Action body whose reason is mandatory.' });

/** Body of run retry and task resume. */
export const MetadataRequestSchema = z
  .strictObject({ metadata: z.unknown().optional() })
  .meta({ id: 'MetadataRequest', description: 'Optional metadata only.' });

export const AttachSessionRequestSchema = z
  .strictObject({ session_id: z.string() })
  .meta({ id: 'AttachSessionRequest', description: 'Session to bind to the run.' });

/** Body of run complete, operator (POST /api/task-runs/{id}/complete) and agent alike. */
export const CompleteRunRequestSchema = z
  .strictObject({ result: z.unknown().optional() })
  .meta({ id: 'CompleteRunRequest', description: 'Optional result payload for completing a run.' });

/** Body of run fail, operator (POST /api/task-runs/{id}/fail) and agent alike. */
export const FailRunRequestSchema = z
  .strictObject({ error: z.string(), metadata: z.unknown().optional() })
  .meta({ id: 'FailRunRequest', description: 'Error text (and optional metadata) for failing a run.' });

export const BulkRunActionRequestSchema = z
  .strictObject({
    run_ids: z.array(z.string()),
    reason: z.string().optional(),
    metadata: z.unknown().optional(),
  })
  .meta({
    id: 'BulkRunActionRequest',
    description: 'Run ids plus optional reason/metadata for a bulk forced action.',
  });

export const DrainSchedulerRequestSchema = z
  .strictObject({ reason: z.string().optional(), timeout_seconds: z.number().int().nullable().optional() })
  .meta({ id: 'DrainSchedulerRequest', description: 'Optional reason and wait bound for draining.' });

export const ClaimNextTaskRequestSchema = z
  .strictObject({
    workspace_id: z.string().optional(),
    // An integer in the contract, not a TaskPriority: compared with the priority weight.
    priority_min: z.number().int().optional(),
    required_capabilities: z.array(z.string()).optional(),
    lease_seconds: z.number().int().optional(),
    wait: z.boolean().optional(),
    idempotency_key: z.string().optional(),
  })
  .meta({ id: 'ClaimNextTaskRequest', description: 'Criteria and lease length for claiming the next run.' });

export const LeaseHeartbeatRequestSchema = z
  .strictObject({ lease_seconds: z.number().int().optional() })
  .meta({ id: 'LeaseHeartbeatRequest', description: 'Optional new lease length for a heartbeat.' });

// ---------------------------------------------------------------------------------------------
// Path parameters and query strings. Queries are plain objects: unknown parameters are ignored.
// ---------------------------------------------------------------------------------------------

export const TaskIdParamsSchema = z.object({ id: z.string().describe('Task id or identifier.') });
/** `{id}` of /api/task-runs/{id}/… and /api/runs/{id}/…, which is a run id. */
export const TaskRunIdParamsSchema = z.object({ id: z.string().describe('Run id.') });
/** `{run_id}` of the Agent API's /api/agent/tasks/{run_id}/…. */
export const RunIdParamsSchema = z.object({
  run_id: z.string().describe('Identifier of the run whose lease the caller holds.'),
});
export const DependencyParamsSchema = z.object({
  id: z.string().describe('Task id or identifier.'),
  depends_on_id: z.string().describe('The task currently depended upon.'),
});

/** A boolean query parameter: exactly true, false, 1 or 0 (z.coerce.boolean would read 'false' as true). */
export function queryBoolean() {
  return z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
}

const queryInt = () => z.coerce.number().int().min(0);

export const ListTasksQuerySchema = z.object({
  scope: ScopeSchema.optional(),
  workspace: z.string().optional().describe('Workspace id, name or path.'),
  status: TaskStatusSchema.optional(),
  priority: TaskPrioritySchema.optional(),
  include_drafts: queryBoolean().optional().describe('Include draft tasks, hidden by default.'),
  approval_state: ApprovalStateSchema.optional(),
  owner_kind: OwnerKindSchema.optional(),
  owner_ref: z.string().optional(),
  parent_task_id: z.string().optional().describe('Only direct children of this task.'),
  network_channel: z.string().optional(),
  query: z.string().optional().describe('Free-text match against title or identifier.'),
  limit: queryInt().optional(),
});

export const TimelineQuerySchema = z.object({
  after_sequence: queryInt().optional().describe('Only entries whose sequence is greater than this.'),
  limit: queryInt().optional(),
});

export const StreamQuerySchema = z.object({
  after_sequence: queryInt().optional().describe('Replay buffered events after this sequence, then go live.'),
});

export const ListTaskRunsQuerySchema = z.object({
  status: TaskRunStatusSchema.optional(),
  session_id: z.string().optional(),
  limit: queryInt().optional(),
});

export const BacklogQuerySchema = z.object({
  limit: queryInt().optional(),
  scope: ScopeSchema.optional(),
  workspace: z.string().optional().describe('Workspace id, name or path.'),
  include_paused: queryBoolean().optional().describe('Also list runs held back by a paused task.'),
});
