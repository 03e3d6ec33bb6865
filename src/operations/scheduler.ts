// Scheduler operations (contract tag Scheduler): status, backlog, pause, resume and drain.
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  BacklogQuerySchema,
  DrainSchedulerRequestSchema,
  ReasonRequestSchema,
  SchedulerBacklogSchema,
  SchedulerDrainResultSchema,
  SchedulerStatusSchema,
} from '../contract/tasks.ts';
import { runView } from '../tasks/views.ts';
import { defineOperation } from './operation.ts';

const tags = ['Scheduler'];
const caller = 'operator';
const validationCode = 'task_invalid';
const E = ErrorResponseSchema;
const ERRORS = { 404: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const StatusEnvelope = z.object({ scheduler: SchedulerStatusSchema });

export const schedulerOperations = [
  defineOperation({
    id: 'getScheduler',
    tags,
    summary: 'Is the scheduler paused, and how much work is queued, starving or stuck',
    caller,
    validationCode,
    responses: { 200: StatusEnvelope, ...ERRORS },
    handle: async ({ services }) => ({ scheduler: await services.scheduler.status() }),
  }),

  defineOperation({
    id: 'getSchedulerBacklog',
    tags,
    summary: 'Queued runs waiting to be claimed: priority, then age',
    caller,
    validationCode,
    query: BacklogQuerySchema,
    responses: { 200: z.object({ backlog: SchedulerBacklogSchema }), ...ERRORS },
    handle: async ({ query, services }) => {
      const { workspace, scope, include_paused, limit } = query;
      const workspaceId = workspace ? (await services.workspaces.find(workspace)).id : undefined;
      const { runs, total } = await services.scheduler.backlog({
        ...(workspaceId && { workspaceId }),
        ...(scope && { scope }),
        ...(include_paused !== undefined && { includePaused: include_paused }),
        ...(limit !== undefined && { limit }),
      });
      const reader = services.taskReader;
      const tasks = await reader.listItems(
        await Promise.all([...new Set(runs.map((r) => r.task_id))].map((id) => reader.task(id))),
      );
      const byId = new Map(tasks.map((t) => [t.id, t]));
      return {
        backlog: { runs: runs.map((run) => ({ task: byId.get(run.task_id)!, run: runView(run) })), total },
      };
    },
  }),

  defineOperation({
    id: 'pauseScheduler',
    tags,
    summary: 'Stop handing out runs: claim-next answers 204 until resumed (leases are still swept)',
    caller,
    validationCode,
    body: ReasonRequestSchema.nullish(),
    responses: { 200: StatusEnvelope, ...ERRORS },
    handle: async ({ body, actor, services }) => ({
      scheduler: await services.scheduler.pause(body?.reason, actor('tasks.scheduler_pause')),
    }),
  }),

  defineOperation({
    id: 'resumeScheduler',
    tags,
    summary: 'Re-enable run claims after a pause or drain',
    caller,
    validationCode,
    body: ReasonRequestSchema.nullish(),
    responses: { 200: StatusEnvelope, ...ERRORS },
    handle: async ({ actor, services }) => ({
      scheduler: await services.scheduler.resume(actor('tasks.scheduler_resume')),
    }),
  }),

  defineOperation({
    id: 'drainScheduler',
    tags,
    summary: 'Pause, then wait (default 60 s at most) until no run is claimed, starting or running',
    caller,
    validationCode,
    body: DrainSchedulerRequestSchema.nullish(),
    responses: { 200: SchedulerDrainResultSchema, ...ERRORS },
    handle: async ({ body, actor, services }) =>
      services.scheduler.drain(body ?? {}, actor('tasks.scheduler_drain')),
  }),
];
