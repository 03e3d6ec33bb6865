// The task context bundle an agent reads, and the kernel's shapes as TypeScript types.
import { z } from 'zod';
import { ActorRefSchema, CoordinationChannelSchema, OriginRefSchema, TaskDependencySchema, TaskDependencyViewSchema, TaskEventSchema, TaskListItemSchema, TaskRunSchema, TaskRunStatusSchema, TaskRunSummarySchema, TaskSchema, TaskSummarySchema, TaskTimelineEntrySchema } from './task-shapes.ts';
import { TaskLeaseSchema } from './task-run-shapes.ts';

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
