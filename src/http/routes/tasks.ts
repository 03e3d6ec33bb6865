// Tasks API (contract tag Tasks): records, lifecycle, dependencies, tree and timeline. Thin: each
// route validates, calls one service and shapes the reply. Validation failures are 422 here.
import { z } from 'zod';
import { operator } from '../../tasks/kernel.ts';
import type { TaskLifecycle } from '../../tasks/lifecycle.ts';
import type { TaskReader } from '../../tasks/reader.ts';
import type { TaskService } from '../../tasks/service.ts';
import { runView, taskView } from '../../tasks/views.ts';
import type { WorkspaceService } from '../../workspaces/index.ts';
import type { ZodApp } from '../app.ts';
import type { ValidationRouteConfig } from '../error-handler.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  AddTaskDependencyRequestSchema,
  CreateTaskRequestSchema,
  DependencyParamsSchema,
  EnqueueRunRequestSchema,
  ListTaskRunsQuerySchema,
  ListTasksQuerySchema,
  MetadataRequestSchema,
  ReasonOptionalActionRequestSchema,
  ReasonRequiredActionRequestSchema,
  TaskDetailSchema,
  TaskIdParamsSchema,
  TaskListItemSchema,
  TaskRunSchema,
  TaskSchema,
  TaskTimelineEntrySchema,
  TaskTreeSchema,
  TimelineQuerySchema,
  UpdateTaskRequestSchema,
} from '../../contract/tasks.ts';

const tags = ['Tasks'];
const E = ErrorResponseSchema;
export const TASK_ROUTE_CONFIG: ValidationRouteConfig = { validationCode: 'task_invalid' };
const ERRORS = { 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const TaskEnvelope = z.object({ task: TaskSchema });
const TaskAndRun = z.object({ task: TaskSchema, run: TaskRunSchema });
const DetailEnvelope = z.object({ task: TaskDetailSchema });

export interface TaskRouteDeps {
  tasks: TaskService;
  lifecycle: TaskLifecycle;
  reader: TaskReader;
  workspaces: WorkspaceService;
}

export function taskRoutes(app: ZodApp, deps: TaskRouteDeps): void {
  const { tasks, lifecycle, reader } = deps;
  const config = TASK_ROUTE_CONFIG;

  app.get(
    '/api/tasks',
    {
      config,
      schema: {
        operationId: 'listTasks',
        tags,
        summary: 'Search and filter tasks (list items include run and dependency rollups)',
        querystring: ListTasksQuerySchema,
        response: { 200: z.object({ tasks: z.array(TaskListItemSchema) }), ...ERRORS },
      },
    },
    async (request) => {
      const { workspace, ...filter } = request.query;
      const workspace_id = workspace ? (await deps.workspaces.find(workspace)).id : undefined;
      return { tasks: await reader.list({ ...filter, ...(workspace_id && { workspace_id }) }) };
    },
  );

  app.post(
    '/api/tasks',
    {
      config,
      schema: {
        operationId: 'createTask',
        tags,
        summary: 'Add a task to the runtime, either global or tied to a workspace',
        body: CreateTaskRequestSchema,
        response: { 201: TaskEnvelope, ...ERRORS },
      },
    },
    async (request, reply) =>
      reply.status(201).send({ task: taskView(await tasks.create(request.body, operator('create'))) }),
  );

  app.get(
    '/api/tasks/:id',
    {
      config,
      schema: {
        operationId: 'getTask',
        tags,
        summary: 'A task with its runs, events, children and dependency edges',
        params: TaskIdParamsSchema,
        response: { 200: DetailEnvelope, ...ERRORS },
      },
    },
    async (request) => ({ task: await reader.detail(request.params.id) }),
  );

  app.patch(
    '/api/tasks/:id',
    {
      config,
      schema: {
        operationId: 'updateTask',
        tags,
        summary: 'Change the editable fields of a task',
        params: TaskIdParamsSchema,
        body: UpdateTaskRequestSchema,
        response: { 200: TaskEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      task: taskView(await tasks.update(request.params.id, request.body, operator('update'))),
    }),
  );

  app.delete(
    '/api/tasks/:id',
    {
      config,
      schema: {
        operationId: 'deleteTask',
        tags,
        summary: 'Remove a task (refused while it has children or open runs)',
        params: TaskIdParamsSchema,
        response: { 204: z.null().describe('No content'), ...ERRORS },
      },
    },
    async (request, reply) => {
      await tasks.remove(request.params.id, operator('delete'));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/tasks/:id/children',
    {
      config,
      schema: {
        operationId: 'createChildTask',
        tags,
        summary: 'Create a subtask below an existing task',
        params: TaskIdParamsSchema,
        body: CreateTaskRequestSchema,
        response: { 201: TaskEnvelope, ...ERRORS },
      },
    },
    async (request, reply) =>
      reply.status(201).send({
        task: taskView(await tasks.create(request.body, operator('create_child'), request.params.id)),
      }),
  );

  app.get(
    '/api/tasks/:id/tree',
    {
      config,
      schema: {
        operationId: 'getTaskTree',
        tags,
        summary: 'The task hierarchy below (and including) this task',
        params: TaskIdParamsSchema,
        response: { 200: z.object({ tree: TaskTreeSchema }), ...ERRORS },
      },
    },
    async (request) => ({ tree: await reader.tree(request.params.id) }),
  );

  app.post(
    '/api/tasks/:id/dependencies',
    {
      config,
      schema: {
        operationId: 'addTaskDependency',
        tags,
        summary: 'Make this task wait for another task',
        params: TaskIdParamsSchema,
        body: AddTaskDependencyRequestSchema,
        response: { 200: DetailEnvelope, ...ERRORS },
      },
    },
    async (request) => {
      await tasks.addDependency(
        request.params.id,
        request.body.depends_on_task_id,
        operator('add_dependency'),
      );
      return { task: await reader.detail(request.params.id) };
    },
  );

  app.delete(
    '/api/tasks/:id/dependencies/:depends_on_id',
    {
      config,
      schema: {
        operationId: 'removeTaskDependency',
        tags,
        summary: 'Drop a dependency edge between two tasks',
        params: DependencyParamsSchema,
        response: { 200: DetailEnvelope, ...ERRORS },
      },
    },
    async (request) => {
      const { id, depends_on_id } = request.params;
      await tasks.removeDependency(id, depends_on_id, operator('remove_dependency'));
      return { task: await reader.detail(id) };
    },
  );

  app.post(
    '/api/tasks/:id/publish',
    {
      config,
      schema: {
        operationId: 'publishTask',
        tags,
        summary: 'Promote a draft task to live and queue its work',
        params: TaskIdParamsSchema,
        body: EnqueueRunRequestSchema.nullish(),
        response: { 200: TaskAndRun, ...ERRORS },
      },
    },
    async (request) =>
      wire(await lifecycle.publish(request.params.id, request.body ?? {}, operator('publish'))),
  );

  app.post(
    '/api/tasks/:id/start',
    {
      config,
      schema: {
        operationId: 'startTask',
        tags,
        summary: 'Kick off a task by queueing a run for it (idempotent: a repeat returns the same run)',
        params: TaskIdParamsSchema,
        body: EnqueueRunRequestSchema.nullish(),
        response: { 201: TaskAndRun, ...ERRORS },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(wire(await lifecycle.start(request.params.id, request.body ?? {}, operator('start')))),
  );

  app.post(
    '/api/tasks/:id/approve',
    {
      config,
      schema: {
        operationId: 'approveTask',
        tags,
        summary: 'Approve a task that is waiting for approval and queue its work',
        params: TaskIdParamsSchema,
        body: EnqueueRunRequestSchema.nullish(),
        response: { 201: TaskAndRun, ...ERRORS },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(wire(await lifecycle.approve(request.params.id, request.body ?? {}, operator('approve')))),
  );

  app.post(
    '/api/tasks/:id/reject',
    {
      config,
      schema: {
        operationId: 'rejectTask',
        tags,
        summary: 'Turn down a task that is waiting for approval',
        params: TaskIdParamsSchema,
        response: { 200: TaskEnvelope, ...ERRORS },
      },
    },
    async (request) => ({ task: taskView(await lifecycle.reject(request.params.id, operator('reject'))) }),
  );

  app.post(
    '/api/tasks/:id/pause',
    {
      config,
      schema: {
        operationId: 'pauseTask',
        tags,
        summary: 'Hold a task (and its subtree) so its runs are not handed out',
        params: TaskIdParamsSchema,
        body: ReasonRequiredActionRequestSchema,
        response: { 200: TaskEnvelope, 403: E, 429: E, ...ERRORS },
      },
    },
    async (request) => ({
      task: taskView(await tasks.pause(request.params.id, request.body, operator('pause'))),
    }),
  );

  app.post(
    '/api/tasks/:id/resume',
    {
      config,
      schema: {
        operationId: 'resumeTask',
        tags,
        summary: 'Lift a hold so the task’s runs become claimable again',
        params: TaskIdParamsSchema,
        body: MetadataRequestSchema.nullish(),
        response: { 200: TaskEnvelope, 403: E, 429: E, ...ERRORS },
      },
    },
    async (request) => ({
      task: taskView(await tasks.resume(request.params.id, request.body ?? {}, operator('resume'))),
    }),
  );

  app.post(
    '/api/tasks/:id/cancel',
    {
      config,
      schema: {
        operationId: 'cancelTask',
        tags,
        summary: 'Cancel a task together with its subtree',
        params: TaskIdParamsSchema,
        body: ReasonOptionalActionRequestSchema.nullish(),
        response: { 200: TaskEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      task: taskView(await lifecycle.cancel(request.params.id, request.body ?? {}, operator('cancel'))),
    }),
  );

  app.get(
    '/api/tasks/:id/runs',
    {
      config,
      schema: {
        operationId: 'listTaskRuns',
        tags,
        summary: 'Runs (attempts) that belong to a task, newest first',
        params: TaskIdParamsSchema,
        querystring: ListTaskRunsQuerySchema,
        response: { 200: z.object({ runs: z.array(TaskRunSchema) }), ...ERRORS },
      },
    },
    async (request) => ({ runs: await reader.runs(request.params.id, request.query) }),
  );

  app.post(
    '/api/tasks/:id/runs',
    {
      config,
      schema: {
        operationId: 'enqueueTaskRun',
        tags,
        summary: 'Put a new run for this task on the queue',
        params: TaskIdParamsSchema,
        body: EnqueueRunRequestSchema.nullish(),
        response: { 201: z.object({ run: TaskRunSchema }), ...ERRORS },
      },
    },
    async (request, reply) =>
      reply.status(201).send({
        run: runView(await lifecycle.enqueue(request.params.id, request.body ?? {}, operator('enqueue'))),
      }),
  );

  app.get(
    '/api/tasks/:id/timeline',
    {
      config,
      schema: {
        operationId: 'getTaskTimeline',
        tags,
        summary: 'Ordered history of a task’s events, pageable by sequence',
        params: TaskIdParamsSchema,
        querystring: TimelineQuerySchema,
        response: { 200: z.object({ timeline: z.array(TaskTimelineEntrySchema) }), ...ERRORS },
      },
    },
    async (request) => ({
      timeline: await reader.timeline(
        request.params.id,
        request.query.after_sequence ?? 0,
        request.query.limit ?? 0,
      ),
    }),
  );
}

function wire(result: { task: Parameters<typeof taskView>[0]; run: Parameters<typeof runView>[0] }) {
  return { task: taskView(result.task), run: runView(result.run) };
}
