// Run operations: /api/task-runs/{id}/* (contract tag TaskRuns: detail and the manual path) and
// /api/runs/* (tag Runs: operator overrides and inspection).
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
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
} from '../contract/tasks.ts';
import type { Actor } from '../contract/actors.ts';
import { toEnvelope } from '../lib/errors.ts';
import type { RunRecord } from '../tasks/records.ts';
import { runView } from '../tasks/views.ts';
import { defineOperation, type Operation } from './operation.ts';
import type { Services } from './services.ts';

const caller = 'operator';
const validationCode = 'task_invalid';
const E = ErrorResponseSchema;
const ERRORS = { 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const FORCE_ERRORS = { 403: E, 429: E, ...ERRORS } as const;
const RunEnvelope = z.object({ run: TaskRunSchema });
const RetryEnvelope = z.object({ previous_run: TaskRunSchema, run: TaskRunSchema });
const InspectEnvelope = z.object({ inspect: InspectionReportSchema });

/** A manual-path step on one run (TaskRuns): it answers with the run as it now is. */
function runStep<B extends z.ZodType>(
  id: string,
  summary: string,
  body: B,
  step: (
    services: Services,
    runId: string,
    body: NonNullable<z.output<B>>,
    actor: Actor,
  ) => Promise<RunRecord>,
  action: string,
): Operation {
  return defineOperation({
    id,
    tags: ['TaskRuns'],
    summary,
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    body,
    responses: { 200: RunEnvelope, ...ERRORS },
    handle: async (call) => ({
      run: runView(
        await step(
          call.services,
          call.params.id,
          (call.body ?? {}) as NonNullable<z.output<B>>,
          call.actor(`tasks.${action}`),
        ),
      ),
    }),
  });
}

function bulk(action: 'release' | 'fail'): Operation {
  return defineOperation({
    id: action === 'release' ? 'bulkForceReleaseTaskRuns' : 'bulkForceFailTaskRuns',
    tags: ['Runs'],
    summary: `Operator override: ${action} up to 50 runs; each row reports its own outcome`,
    caller,
    validationCode,
    body: BulkRunActionRequestSchema,
    responses: { 200: z.object({ results: z.array(BulkRunResultSchema) }), ...FORCE_ERRORS },
    handle: async ({ body, actor, requestId, services }) => {
      const results = await services.runs.bulk(action, body, actor(`tasks.bulk_${action}`));
      return {
        results: results.map((r) => ({
          run_id: r.run_id,
          ok: r.ok,
          ...(r.run && { run: runView(r.run) }),
          // Each failed row carries its own envelope, told apart by the run it is about.
          ...(r.error && { error: toEnvelope(r.error, `${requestId}-${r.run_id}`) }),
        })),
      };
    },
  });
}

export const runOperations = [
  defineOperation({
    id: 'getTaskRun',
    tags: ['TaskRuns'],
    summary: 'A run together with its task, bound session and activity',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    responses: { 200: z.object({ run: TaskRunDetailSchema }), ...ERRORS },
    handle: async ({ params, services }) => ({ run: await services.taskReader.runDetail(params.id) }),
  }),

  runStep(
    'claimTaskRun',
    'Claim a queued run by hand (no lease, no token)',
    IdempotentActionRequestSchema.nullish(),
    (s, id, _body, actor) => s.runs.claim(id, actor),
    'claim_run',
  ),
  runStep(
    'startTaskRun',
    'Start a claimed run: the daemon starts a session for it, then the run is running',
    IdempotentActionRequestSchema.nullish(),
    (s, id, _body, actor) => s.runs.start(id, actor),
    'start_run',
  ),
  runStep(
    'attachTaskRunSession',
    'Bind an active session to a claimed run',
    AttachSessionRequestSchema,
    (s, id, body, actor) => s.runs.attachSession(id, body.session_id, actor),
    'attach_session',
  ),
  runStep(
    'completeTaskRun',
    'Mark a running run completed (runs leased through claim-next are completed by their holder)',
    CompleteRunRequestSchema.nullish(),
    (s, id, body, actor) => s.runs.complete(id, body, actor),
    'complete_run',
  ),
  runStep(
    'failTaskRun',
    'Mark a starting or running run failed',
    FailRunRequestSchema,
    (s, id, body, actor) => s.runs.fail(id, body, actor),
    'fail_run',
  ),
  runStep(
    'cancelTaskRun',
    'Abort one run (its task becomes canceled)',
    ReasonOptionalActionRequestSchema.nullish(),
    (s, id, body, actor) => s.runs.cancel(id, body, actor),
    'cancel_run',
  ),

  defineOperation({
    id: 'forceReleaseTaskRun',
    tags: ['Runs'],
    summary: 'Operator override: take a claimed run back to the queue (same run, same attempt)',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    body: ReasonOptionalActionRequestSchema.nullish(),
    responses: { 200: RunEnvelope, ...FORCE_ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      run: runView(await services.runs.forceRelease(params.id, body ?? {}, actor('tasks.force_release'))),
    }),
  }),

  defineOperation({
    id: 'forceFailTaskRun',
    tags: ['Runs'],
    summary: 'Operator override: fail a queued or claimed run (a reason is required)',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    body: ReasonRequiredActionRequestSchema,
    responses: { 200: RunEnvelope, ...FORCE_ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      run: runView(await services.runs.forceFail(params.id, body, actor('tasks.force_fail'))),
    }),
  }),

  defineOperation({
    id: 'retryTaskRun',
    tags: ['Runs'],
    summary: 'Queue a new attempt after a failed run',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    body: MetadataRequestSchema.nullish(),
    responses: { 201: RetryEnvelope, ...FORCE_ERRORS },
    handle: async ({ params, body, actor, services }) => {
      const { previous, run } = await services.runs.retry(params.id, body ?? {}, actor('tasks.retry'));
      return { previous_run: runView(previous), run: runView(run) };
    },
  }),

  defineOperation({
    id: 'recoverTaskRun',
    tags: ['Runs'],
    summary: 'Replace a run stuck in needs_attention with a fresh attempt',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    body: ReasonOptionalActionRequestSchema.nullish(),
    responses: { 201: RetryEnvelope, ...FORCE_ERRORS },
    handle: async ({ params, body, actor, services }) => {
      const { previous, run } = await services.runs.recover(params.id, body ?? {}, actor('tasks.recover'));
      return { previous_run: runView(previous), run: runView(run) };
    },
  }),

  bulk('release'),
  bulk('fail'),

  defineOperation({
    id: 'inspectRun',
    tags: ['Runs'],
    summary: 'Troubleshooting snapshot of a run with its task, bound session and scheduler state',
    caller,
    validationCode,
    params: TaskRunIdParamsSchema,
    responses: { 200: InspectEnvelope, ...ERRORS },
    handle: async ({ params, services }) => ({ inspect: await services.inspector.run(params.id) }),
  }),
];
