// Scheduler API (contract tag Scheduler): status, backlog, pause, resume and drain.
import { z } from 'zod';
import { operator } from '../../tasks/kernel.ts';
import type { TaskReader } from '../../tasks/reader.ts';
import type { SchedulerService } from '../../tasks/scheduler.ts';
import { runView } from '../../tasks/views.ts';
import type { WorkspaceService } from '../../workspaces/index.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  BacklogQuerySchema,
  DrainSchedulerRequestSchema,
  ReasonRequestSchema,
  SchedulerBacklogSchema,
  SchedulerDrainResultSchema,
  SchedulerStatusSchema,
} from '../../contract/tasks.ts';
import { TASK_ROUTE_CONFIG } from './tasks.ts';

const tags = ['Scheduler'];
const E = ErrorResponseSchema;
const ERRORS = { 404: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const StatusEnvelope = z.object({ scheduler: SchedulerStatusSchema });

export function schedulerRoutes(
  app: ZodApp,
  deps: { scheduler: SchedulerService; reader: TaskReader; workspaces: WorkspaceService },
): void {
  const { scheduler } = deps;
  const config = TASK_ROUTE_CONFIG;

  app.get(
    '/api/scheduler',
    {
      config,
      schema: {
        operationId: 'getScheduler',
        tags,
        summary: 'Is the scheduler paused, and how much work is queued, starving or stuck',
        response: { 200: StatusEnvelope, ...ERRORS },
      },
    },
    async () => ({ scheduler: await scheduler.status() }),
  );

  app.get(
    '/api/scheduler/backlog',
    {
      config,
      schema: {
        operationId: 'getSchedulerBacklog',
        tags,
        summary: 'Queued runs waiting to be claimed: priority, then age',
        querystring: BacklogQuerySchema,
        response: { 200: z.object({ backlog: SchedulerBacklogSchema }), ...ERRORS },
      },
    },
    async (request) => {
      const { workspace, scope, include_paused, limit } = request.query;
      const workspaceId = workspace ? (await deps.workspaces.find(workspace)).id : undefined;
      const { runs, total } = await scheduler.backlog({
        ...(workspaceId && { workspaceId }),
        ...(scope && { scope }),
        ...(include_paused !== undefined && { includePaused: include_paused }),
        ...(limit !== undefined && { limit }),
      });
      const tasks = await deps.reader.listItems(
        await Promise.all([...new Set(runs.map((r) => r.task_id))].map((id) => deps.reader.task(id))),
      );
      const byId = new Map(tasks.map((t) => [t.id, t]));
      return {
        backlog: { runs: runs.map((run) => ({ task: byId.get(run.task_id)!, run: runView(run) })), total },
      };
    },
  );

  app.post(
    '/api/scheduler/pause',
    {
      config,
      schema: {
        operationId: 'pauseScheduler',
        tags,
        summary: 'Stop handing out runs: claim-next answers 204 until resumed (leases are still swept)',
        body: ReasonRequestSchema.nullish(),
        response: { 200: StatusEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      scheduler: await scheduler.pause(request.body?.reason, operator('scheduler_pause')),
    }),
  );

  app.post(
    '/api/scheduler/resume',
    {
      config,
      schema: {
        operationId: 'resumeScheduler',
        tags,
        summary: 'Re-enable run claims after a pause or drain',
        body: ReasonRequestSchema.nullish(),
        response: { 200: StatusEnvelope, ...ERRORS },
      },
    },
    async () => ({ scheduler: await scheduler.resume(operator('scheduler_resume')) }),
  );

  app.post(
    '/api/scheduler/drain',
    {
      config,
      schema: {
        operationId: 'drainScheduler',
        tags,
        summary: 'Pause, then wait (default 60 s at most) until no run is claimed, starting or running',
        body: DrainSchedulerRequestSchema.nullish(),
        response: { 200: SchedulerDrainResultSchema, ...ERRORS },
      },
    },
    async (request) => scheduler.drain(request.body ?? {}, operator('scheduler_drain')),
  );
}
