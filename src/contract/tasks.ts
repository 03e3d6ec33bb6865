// Wire shapes of the task kernel (tasks, runs, dependencies, leases, scheduler, inspection), written
// to match the Task family of contract/openapi.json. Response schemas carry every contract property
// (zod strips what a schema does not name); request bodies are strict (unknown fields are 400).
import { z } from 'zod';
import {
  ACTOR_KINDS,
  APPROVAL_POLICIES,
  APPROVAL_STATES,
  DEPENDENCY_KINDS,
  ORIGIN_KINDS,
  OWNER_KINDS,
  RUN_STATUSES,
  SCOPES,
  TASK_PRIORITIES,
  TASK_STATUSES,
} from './vocabulary.ts';
import { DiagnosticSchema, ErrorResponseSchema } from './common.ts';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

export const TaskStatusSchema = z
  .enum(TASK_STATUSES)
  .meta({ id: 'TaskStatus', description: 'Lifecycle status of a task.' });
export const TaskRunStatusSchema = z
  .enum(RUN_STATUSES)
  .meta({ id: 'TaskRunStatus', description: 'Lifecycle status of a task run.' });
export const TaskPrioritySchema = z
  .enum(TASK_PRIORITIES)
  .meta({ id: 'TaskPriority', description: 'Task priority.' });
export const ScopeSchema = z
  .enum(SCOPES)
  .meta({ id: 'Scope', description: 'Visibility scope (tasks, bridge subscriptions).' });
export const ApprovalPolicySchema = z.enum(APPROVAL_POLICIES).meta({
  id: 'ApprovalPolicy',
  description: 'Whether a task needs manual approval before work is queued.',
});
export const ApprovalStateSchema = z
  .enum(APPROVAL_STATES)
  .meta({ id: 'ApprovalState', description: 'Approval progress of a task.' });
export const OwnerKindSchema = z
  .enum(OWNER_KINDS)
  .meta({ id: 'OwnerKind', description: 'Kind of task owner.' });
export const ActorKindSchema = z.enum(ACTOR_KINDS).meta({ id: 'ActorKind', description: 'Kind of actor.' });
export const OriginKindSchema = z
  .enum(ORIGIN_KINDS)
  .meta({ id: 'OriginKind', description: 'Surface through which something entered the system.' });
export const TaskDependencyKindSchema = z
  .enum(DEPENDENCY_KINDS)
  .meta({ id: 'TaskDependencyKind', description: 'Kind of dependency edge.' });

// Coordination messages belong to the network, which is not built yet; only the kinds are needed
// here, for the channel a run carries. Contract order.
const COORDINATION_MESSAGE_KINDS = [
  'status',
  'request',
  'reply',
  'blocker',
  'handoff',
  'result',
  'review_request',
] as const;
export const CoordinationMessageKindSchema = z
  .enum(COORDINATION_MESSAGE_KINDS)
  .meta({ id: 'CoordinationMessageKind', description: 'Kind of a coordination message.' });

export const ActorRefSchema = z
  .object({ kind: ActorKindSchema, ref: z.string() })
  .meta({ id: 'ActorRef', description: 'Who performed an action (claimed a run, created a task, …).' });
export const OwnerRefSchema = z
  .object({ kind: OwnerKindSchema, ref: z.string() })
  .meta({ id: 'OwnerRef', description: 'Who owns a task.' });
export const OriginRefSchema = z
  .object({ kind: OriginKindSchema, ref: z.string() })
  .meta({ id: 'OriginRef', description: 'Which surface a task, run or event came in through.' });

export const CoordinationChannelSchema = z
  .object({
    id: z.string(),
    display_name: z.string(),
    allowed_message_kinds: z.array(CoordinationMessageKindSchema),
    channel: z.string().optional(),
    purpose: z.string().optional(),
    task_id: z.string().optional(),
    run_id: z.string().optional(),
    workflow_id: z.string().optional(),
    workspace_id: z.string().optional(),
    last_activity_at: z.iso.datetime().nullable().optional(),
  })
  .meta({
    id: 'CoordinationChannel',
    description: 'Task-bound channel through which sessions working on the same task/run exchange messages.',
  });

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

// Fields TaskRun and TaskRunSummary share. TaskRun adds origin, idempotency key, channel, metadata
// and result; the summary adds the task's max_attempts instead.
const runShape = {
  id: z.string(),
  task_id: z.string(),
  status: TaskRunStatusSchema,
  attempt: z.number().int(),
  previous_run_id: z.string().optional(),
  session_id: z.string().optional(),
  claimed_by: ActorRefSchema.nullable().optional(),
  claim_token_hash: z.string().optional(),
  coordination_channel_id: z.string().optional(),
  coordination_channel: CoordinationChannelSchema.nullable().optional(),
  queued_at: z.iso.datetime(),
  claimed_at: z.iso.datetime().nullable().optional(),
  started_at: z.iso.datetime().nullable().optional(),
  heartbeat_at: z.iso.datetime().nullable().optional(),
  lease_until: z.iso.datetime().nullable().optional(),
  ended_at: z.iso.datetime().nullable().optional(),
  error: z.string().optional(),
  failure_kind: z.string().optional(),
};

export const TaskRunSchema = z
  .object({
    ...runShape,
    origin: OriginRefSchema,
    idempotency_key: z.string().optional(),
    network_channel: z.string().optional(),
    metadata: z.unknown().optional(),
    result: z.unknown().optional(),
  })
  .meta({ id: 'TaskRun', description: 'One execution attempt of a task, including lease and outcome data.' });

export const TaskRunSummarySchema = z
  .object({ ...runShape, max_attempts: z.number().int() })
  .meta({ id: 'TaskRunSummary', description: 'Run view used where a task embeds its active run.' });

// ---------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------

export const TaskSummarySchema = z
  .object({
    id: z.string(),
    identifier: z.string().optional(),
    title: z.string(),
    scope: ScopeSchema,
    workspace_id: z.string().optional(),
    status: TaskStatusSchema,
    priority: TaskPrioritySchema.optional(),
    owner: OwnerRefSchema.nullable().optional(),
    paused: z.boolean().optional(),
    effective_paused: z.boolean().optional(),
    paused_by_task_id: z.string().optional(),
    latest_event_seq: z.number().int(),
  })
  .meta({
    id: 'TaskSummary',
    description: 'Small reference view of a task (identity, status, priority, pause state).',
  });

export const TaskDependencySchema = z
  .object({
    task_id: z.string(),
    depends_on_task_id: z.string(),
    kind: TaskDependencyKindSchema,
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'TaskDependency', description: 'Dependency edge between two tasks.' });

export const TaskDependencyViewSchema = z
  .object({
    task_id: z.string(),
    depends_on_task_id: z.string(),
    kind: TaskDependencyKindSchema,
    created_at: z.iso.datetime(),
    depends_on: TaskSummarySchema,
  })
  .meta({
    id: 'TaskDependencyView',
    description: 'Dependency edge together with a summary of the task depended upon.',
  });

// Fields Task and TaskListItem share. Task adds description and metadata (the contract's list view
// leaves both out); the list item adds the active run, dependency and child rollups.
const taskShape = {
  id: z.string(),
  identifier: z.string().optional(),
  title: z.string(),
  scope: ScopeSchema,
  workspace_id: z.string().optional(),
  parent_task_id: z.string().optional(),
  status: TaskStatusSchema,
  priority: TaskPrioritySchema.optional(),
  draft: z.boolean().optional(),
  owner: OwnerRefSchema.nullable().optional(),
  approval_policy: ApprovalPolicySchema.optional(),
  approval_state: ApprovalStateSchema.optional(),
  auto_enqueue_on_ready: z.boolean().optional(),
  max_attempts: z.number().int().optional(),
  network_channel: z.string().optional(),
  current_run_id: z.string().optional(),
  paused: z.boolean().optional(),
  effective_paused: z.boolean().optional(),
  paused_at: z.iso.datetime().nullable().optional(),
  paused_by: z.string().optional(),
  paused_by_task_id: z.string().optional(),
  paused_reason: z.string().optional(),
  created_by: ActorRefSchema,
  origin: OriginRefSchema,
  latest_event_seq: z.number().int(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  closed_at: z.iso.datetime().nullable().optional(),
};

export const TaskSchema = z
  .object({ ...taskShape, description: z.string().optional(), metadata: z.unknown().optional() })
  .meta({
    id: 'Task',
    description: 'A unit of durable work with lifecycle, ownership, approval and scheduling data.',
  });

export const TaskListItemSchema = z
  .object({
    ...taskShape,
    active_run: TaskRunSummarySchema.nullable().optional(),
    dependencies: z.array(TaskDependencyViewSchema).optional(),
    dependency_count: z.number().int().optional(),
    child_count: z.number().int().optional(),
    last_activity_at: z.iso.datetime().nullable().optional(),
  })
  .meta({
    id: 'TaskListItem',
    description:
      'Task as returned by list-style endpoints: the task fields plus run, dependency and child rollups.',
  });

// ---------------------------------------------------------------------------------------------
// History, detail, tree, timeline, stream
// ---------------------------------------------------------------------------------------------

export const TaskEventSchema = z
  .object({
    id: z.string(),
    task_id: z.string(),
    run_id: z.string().optional(),
    event_type: z.string(),
    actor: ActorRefSchema,
    origin: OriginRefSchema,
    payload: z.unknown().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'TaskEvent', description: 'Stored event from a task’s history.' });

export const TaskDetailSchema = z
  .object({
    task: TaskSchema,
    summary: TaskListItemSchema,
    runs: z.array(TaskRunSchema).optional(),
    events: z.array(TaskEventSchema).optional(),
    children: z.array(TaskListItemSchema).optional(),
    dependencies: z.array(TaskDependencySchema).optional(),
    dependency_references: z.array(TaskDependencyViewSchema).optional(),
  })
  .meta({ id: 'TaskDetail', description: 'A task with its runs, events, children and dependency edges.' });

export const TaskTreeNodeSchema = z
  .object({
    task: TaskSummarySchema,
    depth: z.number().int(),
    parent_task_id: z.string().optional(),
    child_count: z.number().int().optional(),
    active_run: TaskRunSummarySchema.nullable().optional(),
    // Required and not nullable here, unlike TaskListItem.last_activity_at.
    last_activity_at: z.iso.datetime(),
  })
  .meta({ id: 'TaskTreeNode', description: 'One node of a task hierarchy.' });

export const TaskTreeSchema = z
  .object({ root: TaskTreeNodeSchema, descendants: z.array(TaskTreeNodeSchema).optional() })
  .meta({ id: 'TaskTree', description: 'A task hierarchy: the root node and its descendants.' });

export const TaskTimelineEntrySchema = z
  .object({
    sequence: z.number().int(),
    event_id: z.string(),
    event_type: z.string(),
    task: TaskSummarySchema,
    run: TaskRunSummarySchema.nullable().optional(),
    actor: ActorRefSchema,
    origin: OriginRefSchema,
    payload: z.unknown().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'TaskTimelineEntry', description: 'One entry of a task timeline.' });

export const TaskStreamEventSchema = z
  .object({ type: z.string(), sequence: z.number().int(), timeline: TaskTimelineEntrySchema })
  .meta({ id: 'TaskStreamEvent', description: 'Payload of one server-sent event on the task stream.' });

// ---------------------------------------------------------------------------------------------
// Leases and claims
// ---------------------------------------------------------------------------------------------

export const TaskLeaseSchema = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    status: TaskRunStatusSchema,
    session_id: z.string().optional(),
    claimed_by: ActorRefSchema.nullable().optional(),
    claim_token_hash: z.string().optional(),
    heartbeat_at: z.iso.datetime().nullable().optional(),
    lease_until: z.iso.datetime().nullable().optional(),
    coordination_channel_id: z.string().optional(),
    coordination_channel: CoordinationChannelSchema.nullable().optional(),
  })
  .meta({
    id: 'TaskLease',
    description: 'A claim held on a run: who holds it, until when, and its coordination channel.',
  });

export const TaskClaimSchema = z
  .object({
    run: TaskRunSchema,
    task: TaskSummarySchema,
    lease: TaskLeaseSchema,
    coordination_channel: CoordinationChannelSchema.nullable().optional(),
  })
  .meta({
    id: 'TaskClaim',
    description: 'Result of a successful claim: the run, its task, the lease and the coordination channel.',
  });

// ---------------------------------------------------------------------------------------------
// Scheduler
// ---------------------------------------------------------------------------------------------

export const SchedulerStatusSchema = z
  .object({
    paused: z.boolean(),
    paused_at: z.iso.datetime().nullable().optional(),
    paused_by: z.string().optional(),
    paused_reason: z.string().optional(),
    queued_run_count: z.number().int(),
    active_claim_count: z.number().int(),
    needs_attention_run_count: z.number().int(),
    starved_run_count: z.number().int(),
    paused_task_count: z.number().int(),
    as_of: z.iso.datetime(),
  })
  .meta({ id: 'SchedulerStatus', description: 'Scheduler pause state and queue-pressure counters.' });

export const SchedulerBacklogEntrySchema = z
  .object({ run: TaskRunSchema, task: TaskListItemSchema })
  .meta({ id: 'SchedulerBacklogEntry', description: 'A queued run with its task.' });

export const SchedulerBacklogSchema = z
  .object({ runs: z.array(SchedulerBacklogEntrySchema), total: z.number().int() })
  .meta({ id: 'SchedulerBacklog', description: 'Queued runs awaiting a claim.' });

export const SchedulerDrainResultSchema = z
  .object({
    completed: z.boolean(),
    timed_out: z.boolean().optional(),
    remaining_claims: z.number().int(),
    scheduler: SchedulerStatusSchema,
    started_at: z.iso.datetime(),
    completed_at: z.iso.datetime(),
  })
  .meta({
    id: 'SchedulerDrainResult',
    description: 'Outcome of a drain: whether active claims finished before the timeout.',
  });

// ---------------------------------------------------------------------------------------------
// Inspection
// ---------------------------------------------------------------------------------------------

export const InspectionRunSchema = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    status: TaskRunStatusSchema,
    attempt: z.number().int(),
    retries: z.number().int().optional(),
    previous_run_id: z.string().optional(),
    bound_session_id: z.string().optional(),
    claim_token_hash_truncated: z.string().optional(),
    queued_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable().optional(),
    heartbeat_at: z.iso.datetime().nullable().optional(),
    heartbeat_age_seconds: z.number().int().nullable().optional(),
    lease_until: z.iso.datetime().nullable().optional(),
    ended_at: z.iso.datetime().nullable().optional(),
    failure_kind: z.string().optional(),
    last_error_summary: z.string().optional(),
  })
  .meta({ id: 'InspectionRun', description: 'Run as summarised in an inspection report.' });

export const InspectionEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    timestamp: z.iso.datetime(),
    task_id: z.string().optional(),
    run_id: z.string().optional(),
    session_id: z.string().optional(),
    outcome: z.string().optional(),
    summary: z.string().optional(),
  })
  .meta({ id: 'InspectionEvent', description: 'Recent event listed in an inspection report.' });

export const InspectionSchedulerStateSchema = z
  .object({
    paused: z.boolean(),
    paused_at: z.iso.datetime().nullable().optional(),
    paused_by: z.string().optional(),
    // `reason` here, `paused_reason` in SchedulerStatus: both as the contract spells them.
    reason: z.string().optional(),
    updated_at: z.iso.datetime().nullable().optional(),
  })
  .meta({
    id: 'InspectionSchedulerState',
    description: 'Scheduler pause state as seen by an inspection report.',
  });

export const InspectionBoundSessionSchema = z
  .object({
    session_id: z.string(),
    agent_name: z.string().optional(),
    provider_name: z.string().optional(),
    workspace_id: z.string().optional(),
    state: z.string().optional(),
    stop_reason: z.string().optional(),
    failure_kind: z.string().optional(),
    started_at: z.iso.datetime().nullable().optional(),
    last_activity_at: z.iso.datetime().nullable().optional(),
  })
  .meta({ id: 'InspectionBoundSession', description: 'Session bound to the inspected run.' });

export const InspectionReportSchema = z
  .object({
    target: z.string(),
    as_of: z.iso.datetime(),
    task: TaskListItemSchema,
    current_run: InspectionRunSchema.nullable().optional(),
    recent_runs: z.array(InspectionRunSchema).optional(),
    recent_events: z.array(InspectionEventSchema).optional(),
    bound_session: InspectionBoundSessionSchema.nullable().optional(),
    scheduler: InspectionSchedulerStateSchema,
    diagnostics: z.array(DiagnosticSchema).optional(),
    next_action: z.string(),
  })
  .meta({
    id: 'InspectionReport',
    description: 'Troubleshooting view of a task or run with diagnostics and a suggested next action.',
  });

// ---------------------------------------------------------------------------------------------
// Run detail and bulk results
// ---------------------------------------------------------------------------------------------

// The condensed session of a run detail (the contract's TaskRunSession, not the full Session).
export const TaskRunSessionSchema = z
  .object({
    session_id: z.string(),
    name: z.string().optional(),
    agent_name: z.string().optional(),
    workspace_id: z.string().optional(),
    channel: z.string().optional(),
    state: z.string().optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'TaskRunSession', description: 'Session bound to a run, condensed.' });

// Usage counters are null when the bound session reported nothing (or there is no session).
export const TaskRunUsageSummarySchema = z
  .object({
    input_tokens: z.number().int().nullable().optional(),
    output_tokens: z.number().int().nullable().optional(),
    total_tokens: z.number().int().nullable().optional(),
    turn_count: z.number().int().nullable().optional(),
    tool_call_count: z.number().int().nullable().optional(),
    total_cost: z.number().nullable().optional(),
    cost_currency: z.string().nullable().optional(),
    last_event_type: z.string().optional(),
    last_activity_at: z.iso.datetime(),
  })
  .meta({ id: 'TaskRunUsageSummary', description: 'Token, cost and activity totals for a run.' });

export const TaskRunDetailSchema = z
  .object({
    run: TaskRunSchema,
    task: TaskSummarySchema,
    session: TaskRunSessionSchema.nullable().optional(),
    summary: TaskRunUsageSummarySchema,
  })
  .meta({ id: 'TaskRunDetail', description: 'Run with its task, bound session and usage totals.' });

export const BulkRunResultSchema = z
  .object({
    run_id: z.string(),
    ok: z.boolean(),
    run: TaskRunSchema.nullable().optional(),
    error: ErrorResponseSchema.nullable().optional(),
  })
  .meta({ id: 'BulkRunResult', description: 'Per-run outcome of a bulk forced action.' });

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

// ---------------------------------------------------------------------------------------------
// The task context bundle of GET /api/agent/context. Its run times are required by the contract
// even for a run that has not reached them: those carry the zero time 0001-01-01T00:00:00Z.
// ---------------------------------------------------------------------------------------------

export const TaskBundleRunSchema = z
  .object({
    id: z.string(),
    task_id: z.string(),
    status: TaskRunStatusSchema,
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    previous_run_id: z.string().optional(),
    session_id: z.string().optional(),
    claimed_by: ActorRefSchema.nullable().optional(),
    claim_token_hash: z.string().optional(),
    coordination_channel_id: z.string().optional(),
    queued_at: z.iso.datetime(),
    claimed_at: z.iso.datetime(),
    started_at: z.iso.datetime(),
    heartbeat_at: z.iso.datetime(),
    lease_until: z.iso.datetime(),
    ended_at: z.iso.datetime(),
    error: z.string().optional(),
    failure_kind: z.string().optional(),
  })
  .meta({ id: 'TaskBundleRun', description: 'Run attempt as carried inside a task context bundle.' });

export const TaskBundleEventSchema = z
  .object({
    sequence: z.number().int(),
    event_id: z.string(),
    event_type: z.string(),
    task: TaskSummarySchema,
    run: TaskBundleRunSchema.nullable().optional(),
    actor: ActorRefSchema,
    origin: OriginRefSchema,
    payload: z.unknown().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'TaskBundleEvent', description: 'Timeline entry as carried inside a task context bundle.' });

export const TaskBundleLimitsSchema = z
  .object({
    context_body_max_bytes: z.number().int(),
    max_runtime_seconds: z.number().int(),
    summary_max_bytes: z.number().int(),
  })
  .meta({ id: 'TaskBundleLimits', description: 'Size and time limits applied to the task bundle.' });

export const TaskContextBundleSchema = z
  .object({
    task: TaskSummarySchema,
    current_run: TaskBundleRunSchema.nullable().optional(),
    prior_attempts: z.array(TaskBundleRunSchema),
    recent_events: z.array(TaskBundleEventSchema),
    // Reviews are not built yet: always empty.
    review_history: z.array(z.never()),
    latest_event_seq: z.number().int(),
    limits: TaskBundleLimitsSchema,
    handoff_summary: z.string().optional(),
    execution_profile: z.null().optional(),
    review_continuation: z.null().optional(),
  })
  .meta({
    id: 'TaskContextBundle',
    description:
      'What the caller needs to continue its task: the task, its attempts and recent events, and the brief.',
  });

// ---------------------------------------------------------------------------------------------
// The shapes above as TypeScript types, for the services that build them and the clients that read them.

export type TaskView = z.infer<typeof TaskSchema>;
export type TaskSummaryView = z.infer<typeof TaskSummarySchema>;
export type TaskListItemView = z.infer<typeof TaskListItemSchema>;
export type RunView = z.infer<typeof TaskRunSchema>;
export type RunSummaryView = z.infer<typeof TaskRunSummarySchema>;
export type EventView = z.infer<typeof TaskEventSchema>;
export type TimelineView = z.infer<typeof TaskTimelineEntrySchema>;
export type LeaseView = z.infer<typeof TaskLeaseSchema>;
export type DependencyView = z.infer<typeof TaskDependencySchema>;
export type DependencyReferenceView = z.infer<typeof TaskDependencyViewSchema>;
export type CoordinationChannelView = z.infer<typeof CoordinationChannelSchema>;
export type TaskBundleView = z.infer<typeof TaskContextBundleSchema>;
