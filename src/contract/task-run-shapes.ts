// Wire shapes of leases and claims, the scheduler, inspection reports, run detail and bulk results.
import { z } from 'zod';
import { DiagnosticSchema, ErrorResponseSchema } from './common.ts';
import { ActorRefSchema, CoordinationChannelSchema, TaskListItemSchema, TaskRunSchema, TaskRunStatusSchema, TaskSummarySchema } from './task-shapes.ts';

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
