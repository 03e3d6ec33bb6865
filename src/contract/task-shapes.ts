// Wire shapes of tasks and runs as the Task family of contract/openapi.json gives them: the
// vocabulary, runs, tasks, and their history, detail, tree and timeline. Response schemas carry every
// contract property (zod strips what a schema does not name).
import { z } from 'zod';
import { ACTOR_KINDS, APPROVAL_POLICIES, APPROVAL_STATES, DEPENDENCY_KINDS, ORIGIN_KINDS, OWNER_KINDS, RUN_STATUSES, SCOPES, TASK_PRIORITIES, TASK_STATUSES } from './vocabulary.ts';

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
