// Task operations (contract tag Tasks): records, dependencies, tree, runs, timeline and inspection.
// The lifecycle actions (publish, start, approve, …) are in task-lifecycle.ts. Validation failures
// are 422 here, as the task API's contract says.
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  AddTaskDependencyRequestSchema,
  CreateTaskRequestSchema,
  DependencyParamsSchema,
  EnqueueRunRequestSchema,
  InspectionReportSchema,
  ListTaskRunsQuerySchema,
  ListTasksQuerySchema,
  TaskDetailSchema,
  TaskIdParamsSchema,
  TaskListItemSchema,
  TaskRunSchema,
  TaskSchema,
  TaskTimelineEntrySchema,
  TaskTreeSchema,
  TimelineQuerySchema,
  UpdateTaskRequestSchema,
} from '../contract/tasks.ts';
import { runView, taskView } from '../tasks/views.ts';
import { defineOperation, Reply } from './operation.ts';

const tags = ['Tasks'];
const caller = 'operator';
const validationCode = 'task_invalid';
const E = ErrorResponseSchema;
const ERRORS = { 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const TaskEnvelope = z.object({ task: TaskSchema });
const DetailEnvelope = z.object({ task: TaskDetailSchema });

export const taskOperations = [
  defineOperation({
    id: 'listTasks',
    tags,
    summary: 'Search and filter tasks (list items include run and dependency rollups)',
    caller,
    validationCode,
    query: ListTasksQuerySchema,
    responses: { 200: z.object({ tasks: z.array(TaskListItemSchema) }), ...ERRORS },
    handle: async ({ query, services }) => {
      const { workspace, ...filter } = query;
      const workspace_id = workspace ? (await services.workspaces.find(workspace)).id : undefined;
      return { tasks: await services.taskReader.list({ ...filter, ...(workspace_id && { workspace_id }) }) };
    },
  }),

  defineOperation({
    id: 'createTask',
    tags,
    summary: 'Add a task to the runtime, either global or tied to a workspace',
    caller,
    validationCode,
    body: CreateTaskRequestSchema,
    responses: { 201: TaskEnvelope, ...ERRORS },
    handle: async ({ body, actor, services }) => ({
      task: taskView(await services.tasks.create(body, actor('tasks.create'))),
    }),
  }),

  defineOperation({
    id: 'getTask',
    tags,
    summary: 'A task with its runs, events, children and dependency edges',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    responses: { 200: DetailEnvelope, ...ERRORS },
    handle: async ({ params, services }) => ({ task: await services.taskReader.detail(params.id) }),
  }),

  defineOperation({
    id: 'updateTask',
    tags,
    summary: 'Change the editable fields of a task',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: UpdateTaskRequestSchema,
    responses: { 200: TaskEnvelope, ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      task: taskView(await services.tasks.update(params.id, body, actor('tasks.update'))),
    }),
  }),

  defineOperation({
    id: 'deleteTask',
    tags,
    summary: 'Remove a task (refused while it has children or open runs)',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    responses: { 204: z.null().describe('No content'), ...ERRORS },
    handle: async ({ params, actor, services }) => {
      await services.tasks.remove(params.id, actor('tasks.delete'));
      return new Reply(204, null);
    },
  }),

  defineOperation({
    id: 'createChildTask',
    tags,
    summary: 'Create a subtask below an existing task',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: CreateTaskRequestSchema,
    responses: { 201: TaskEnvelope, ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      task: taskView(await services.tasks.create(body, actor('tasks.create_child'), params.id)),
    }),
  }),

  defineOperation({
    id: 'getTaskTree',
    tags,
    summary: 'The task hierarchy below (and including) this task',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    responses: { 200: z.object({ tree: TaskTreeSchema }), ...ERRORS },
    handle: async ({ params, services }) => ({ tree: await services.taskReader.tree(params.id) }),
  }),

  defineOperation({
    id: 'addTaskDependency',
    tags,
    summary: 'Make this task wait for another task',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: AddTaskDependencyRequestSchema,
    responses: { 200: DetailEnvelope, ...ERRORS },
    handle: async ({ params, body, actor, services }) => {
      await services.tasks.addDependency(params.id, body.depends_on_task_id, actor('tasks.add_dependency'));
      return { task: await services.taskReader.detail(params.id) };
    },
  }),

  defineOperation({
    id: 'removeTaskDependency',
    tags,
    summary: 'Drop a dependency edge between two tasks',
    caller,
    validationCode,
    params: DependencyParamsSchema,
    responses: { 200: DetailEnvelope, ...ERRORS },
    handle: async ({ params, actor, services }) => {
      const { id, depends_on_id } = params;
      await services.tasks.removeDependency(id, depends_on_id, actor('tasks.remove_dependency'));
      return { task: await services.taskReader.detail(id) };
    },
  }),

  defineOperation({
    id: 'listTaskRuns',
    tags,
    summary: 'Runs (attempts) that belong to a task, newest first',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    query: ListTaskRunsQuerySchema,
    responses: { 200: z.object({ runs: z.array(TaskRunSchema) }), ...ERRORS },
    handle: async ({ params, query, services }) => ({
      runs: await services.taskReader.runs(params.id, query),
    }),
  }),

  defineOperation({
    id: 'enqueueTaskRun',
    tags,
    summary: 'Put a new run for this task on the queue',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    body: EnqueueRunRequestSchema.nullish(),
    responses: { 201: z.object({ run: TaskRunSchema }), ...ERRORS },
    handle: async ({ params, body, actor, services }) => ({
      run: runView(await services.lifecycle.enqueue(params.id, body ?? {}, actor('tasks.enqueue'))),
    }),
  }),

  defineOperation({
    id: 'getTaskTimeline',
    tags,
    summary: 'Ordered history of a task’s events, pageable by sequence',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    query: TimelineQuerySchema,
    responses: { 200: z.object({ timeline: z.array(TaskTimelineEntrySchema) }), ...ERRORS },
    handle: async ({ params, query, services }) => ({
      timeline: await services.taskReader.timeline(params.id, query.after_sequence ?? 0, query.limit ?? 0),
    }),
  }),

  defineOperation({
    id: 'inspectTask',
    tags,
    summary: 'Troubleshooting snapshot of a task and its current run',
    caller,
    validationCode,
    params: TaskIdParamsSchema,
    responses: { 200: z.object({ inspect: InspectionReportSchema }), ...ERRORS },
    handle: async ({ params, services }) => ({ inspect: await services.inspector.task(params.id) }),
  }),
];
