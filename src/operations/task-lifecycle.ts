// Task lifecycle operations (contract tag Tasks): publish, start, approve, reject, pause, resume and
// cancel. Each records the operator's action as `tasks.<action>` on the events it causes.
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  EnqueueRunRequestSchema,
  MetadataRequestSchema,
  ReasonOptionalActionRequestSchema,
  ReasonRequiredActionRequestSchema,
  TaskIdParamsSchema,
  TaskRunSchema,
  TaskSchema,
} from '../contract/tasks.ts';
import type { RunRecord, TaskRecord } from '../tasks/records.ts';
import { runView, taskView } from '../tasks/views.ts';
import { defineOperation } from './operation.ts';

const tags = ['Tasks'];
const caller = 'operator';
const validationCode = 'task_invalid';
const E = ErrorResponseSchema;
const ERRORS = { 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const TaskEnvelope = z.object({ task: TaskSchema });
const TaskAndRun = z.object({ task: TaskSchema, run: TaskRunSchema });

function taskAndRun(result: { task: TaskRecord; run: RunRecord }) {
  return { task: taskView(result.task), run: runView(result.run) };
}

export const taskLifecycleOperations = [
  defineOperation({
    id: 'publishTask',
    tags,
    summary: 'Promote a draft task to live and queue its work',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: EnqueueRunRequestSchema.nullish(),
    responses: { 200: TaskAndRun, ...ERRORS },
    handle: async ({ params, body, actor, services }) =>
      taskAndRun(await services.lifecycle.publish(params.id, body ?? {}, actor('tasks.publish'))),
  }),

  defineOperation({
    id: 'startTask',
    tags,
    summary: 'Kick off a task by queueing a run for it (idempotent: a repeat returns the same run)',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: EnqueueRunRequestSchema.nullish(),
    responses: { 201: TaskAndRun, ...ERRORS },
    handle: async ({ params, body, actor, services }) =>
      taskAndRun(await services.lifecycle.start(params.id, body ?? {}, actor('tasks.start'))),
  }),

  defineOperation({
    id: 'approveTask',
    tags,
    summary: 'Approve a task that is waiting for approval and queue its work',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: EnqueueRunRequestSchema.nullish(),
    responses: { 201: TaskAndRun, ...ERRORS },
    handle: async ({ params, body, actor, services }) =>
      taskAndRun(await services.lifecycle.approve(params.id, body ?? {}, actor('tasks.approve'))),
  }),

  defineOperation({
    id: 'rejectTask',
    tags,
    summary: 'Turn down a task that is waiting for approval',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    responses: { 200: TaskEnvelope, ...ERRORS },
    handle: async ({ params, actor, services }) => ({
      task: taskView(await services.lifecycle.reject(params.id, actor('tasks.reject'))),
    }),
  }),

  defineOperation({
    id: 'pauseTask',
    tags,
    summary: 'Hold a task (and its subtree) so its runs are not handed out',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: ReasonRequiredActionRequestSchema,
    responses: { 200: TaskEnvelope, 403: E, 429: E, ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      task: taskView(await services.tasks.pause(params.id, body, actor('tasks.pause'))),
    }),
  }),

  defineOperation({
    id: 'resumeTask',
    tags,
    summary: 'Lift a hold so the task’s runs become claimable again',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: MetadataRequestSchema.nullish(),
    responses: { 200: TaskEnvelope, 403: E, 429: E, ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      task: taskView(await services.tasks.resume(params.id, body ?? {}, actor('tasks.resume'))),
    }),
  }),

  defineOperation({
    id: 'cancelTask',
    tags,
    summary: 'Cancel a task together with its subtree',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: ReasonOptionalActionRequestSchema.nullish(),
    responses: { 200: TaskEnvelope, ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      task: taskView(await services.lifecycle.cancel(params.id, body ?? {}, actor('tasks.cancel'))),
    }),
  }),
];
