// Run routes: /api/task-runs/{id}/* (contract tag TaskRuns: detail and the manual path) and
// /api/runs/* (tag Runs: operator overrides and inspection).
import { z } from 'zod';
import { toEnvelope } from '../../lib/errors.ts';
import type { Inspector } from '../../tasks/inspect.ts';
import { operator } from '../../tasks/kernel.ts';
import type { TaskReader } from '../../tasks/reader.ts';
import type { RunOperations } from '../../tasks/run-ops.ts';
import { runView } from '../../tasks/views.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  AttachSessionRequestSchema,
  BulkRunActionRequestSchema,
  BulkRunResultSchema,
  CompleteRunRequestSchema,
  FailRunRequestSchema,
  IdempotentActionRequestSchema,
  InspectionReportSchema,
  MetadataRequestSchema,
  ReasonOptionalActionRequestSchema,
  ReasonRequiredActionRequestSchema,
  TaskRunDetailSchema,
  TaskRunIdParamsSchema,
  TaskRunSchema,
} from '../../contract/tasks.ts';
import type { ValidationRouteConfig } from '../error-handler.ts';

const E = ErrorResponseSchema;
const ERRORS = { 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const RunEnvelope = z.object({ run: TaskRunSchema });
const RetryEnvelope = z.object({ previous_run: TaskRunSchema, run: TaskRunSchema });
const InspectEnvelope = z.object({ inspect: InspectionReportSchema });

export interface RunRouteDeps {
  runs: RunOperations;
  reader: TaskReader;
  inspector: Inspector;
}

export function runRoutes(app: ZodApp, deps: RunRouteDeps): void {
  const { runs } = deps;
  const config: ValidationRouteConfig = { validationCode: 'task_invalid' };
  const taskRuns = ['TaskRuns'];
  const overrides = ['Runs'];

  app.get(
    '/api/task-runs/:id',
    {
      config,
      schema: {
        operationId: 'getTaskRun',
        tags: taskRuns,
        summary: 'A run together with its task, bound session and activity',
        params: TaskRunIdParamsSchema,
        response: { 200: z.object({ run: TaskRunDetailSchema }), ...ERRORS },
      },
    },
    async (request) => ({ run: await deps.reader.runDetail(request.params.id) }),
  );

  const simple = <B extends z.ZodType>(
    path: string,
    operationId: string,
    summary: string,
    body: B,
    action: (id: string, body: NonNullable<z.infer<B>>) => Promise<Parameters<typeof runView>[0]>,
  ) =>
    app.post(
      path,
      {
        config,
        schema: {
          operationId,
          tags: taskRuns,
          summary,
          params: TaskRunIdParamsSchema,
          body,
          response: { 200: RunEnvelope, ...ERRORS },
        },
      },
      async (request) => ({
        run: runView(await action(request.params.id, (request.body ?? {}) as NonNullable<z.infer<B>>)),
      }),
    );

  simple(
    '/api/task-runs/:id/claim',
    'claimTaskRun',
    'Claim a queued run by hand (no lease, no token)',
    IdempotentActionRequestSchema.nullish(),
    (id) => runs.claim(id, operator('claim_run')),
  );
  simple(
    '/api/task-runs/:id/start',
    'startTaskRun',
    'Start a claimed run: the daemon starts a session for it, then the run is running',
    IdempotentActionRequestSchema.nullish(),
    (id) => runs.start(id, operator('start_run')),
  );
  simple(
    '/api/task-runs/:id/attach-session',
    'attachTaskRunSession',
    'Bind an active session to a claimed run',
    AttachSessionRequestSchema,
    (id, body) => runs.attachSession(id, body.session_id, operator('attach_session')),
  );
  simple(
    '/api/task-runs/:id/complete',
    'completeTaskRun',
    'Mark a running run completed (runs leased through claim-next are completed by their holder)',
    CompleteRunRequestSchema.nullish(),
    (id, body) => runs.complete(id, body, operator('complete_run')),
  );
  simple(
    '/api/task-runs/:id/fail',
    'failTaskRun',
    'Mark a starting or running run failed',
    FailRunRequestSchema,
    (id, body) => runs.fail(id, body, operator('fail_run')),
  );
  simple(
    '/api/task-runs/:id/cancel',
    'cancelTaskRun',
    'Abort one run (its task becomes canceled)',
    ReasonOptionalActionRequestSchema.nullish(),
    (id, body) => runs.cancel(id, body, operator('cancel_run')),
  );

  const FORCE_ERRORS = { 403: E, 429: E, ...ERRORS } as const;

  app.post(
    '/api/runs/:id/release',
    {
      config,
      schema: {
        operationId: 'forceReleaseTaskRun',
        tags: overrides,
        summary: 'Operator override: take a claimed run back to the queue (same run, same attempt)',
        params: TaskRunIdParamsSchema,
        body: ReasonOptionalActionRequestSchema.nullish(),
        response: { 200: RunEnvelope, ...FORCE_ERRORS },
      },
    },
    async (request) => ({
      run: runView(await runs.forceRelease(request.params.id, request.body ?? {}, operator('force_release'))),
    }),
  );

  app.post(
    '/api/runs/:id/fail',
    {
      config,
      schema: {
        operationId: 'forceFailTaskRun',
        tags: overrides,
        summary: 'Operator override: fail a queued or claimed run (a reason is required)',
        params: TaskRunIdParamsSchema,
        body: ReasonRequiredActionRequestSchema,
        response: { 200: RunEnvelope, ...FORCE_ERRORS },
      },
    },
    async (request) => ({
      run: runView(await runs.forceFail(request.params.id, request.body, operator('force_fail'))),
    }),
  );

  app.post(
    '/api/runs/:id/retry',
    {
      config,
      schema: {
        operationId: 'retryTaskRun',
        tags: overrides,
        summary: 'Queue a new attempt after a failed run',
        params: TaskRunIdParamsSchema,
        body: MetadataRequestSchema.nullish(),
        response: { 201: RetryEnvelope, ...FORCE_ERRORS },
      },
    },
    async (request, reply) => {
      const { previous, run } = await runs.retry(request.params.id, request.body ?? {}, operator('retry'));
      return reply.status(201).send({ previous_run: runView(previous), run: runView(run) });
    },
  );

  app.post(
    '/api/runs/:id/recover',
    {
      config,
      schema: {
        operationId: 'recoverTaskRun',
        tags: overrides,
        summary: 'Replace a run stuck in needs_attention with a fresh attempt',
        params: TaskRunIdParamsSchema,
        body: ReasonOptionalActionRequestSchema.nullish(),
        response: { 201: RetryEnvelope, ...FORCE_ERRORS },
      },
    },
    async (request, reply) => {
      const { previous, run } = await runs.recover(
        request.params.id,
        request.body ?? {},
        operator('recover'),
      );
      return reply.status(201).send({ previous_run: runView(previous), run: runView(run) });
    },
  );

  for (const action of ['release', 'fail'] as const) {
    app.post(
      `/api/runs/bulk/${action}`,
      {
        config,
        schema: {
          operationId: action === 'release' ? 'bulkForceReleaseTaskRuns' : 'bulkForceFailTaskRuns',
          tags: overrides,
          summary: `Operator override: ${action} up to 50 runs; each row reports its own outcome`,
          body: BulkRunActionRequestSchema,
          response: { 200: z.object({ results: z.array(BulkRunResultSchema) }), ...FORCE_ERRORS },
        },
      },
      async (request) => {
        const results = await runs.bulk(action, request.body, operator(`bulk_${action}`));
        return {
          results: results.map((r) => ({
            run_id: r.run_id,
            ok: r.ok,
            ...(r.run && { run: runView(r.run) }),
            ...(r.error && { error: toEnvelope(r.error, `${request.id}-${r.run_id}`) }),
          })),
        };
      },
    );
  }

  app.get(
    '/api/runs/:id/inspect',
    {
      config,
      schema: {
        operationId: 'inspectRun',
        tags: overrides,
        summary: 'Troubleshooting snapshot of a run with its task, bound session and scheduler state',
        params: TaskRunIdParamsSchema,
        response: { 200: InspectEnvelope, ...ERRORS },
      },
    },
    async (request) => ({ inspect: await deps.inspector.run(request.params.id) }),
  );
}
