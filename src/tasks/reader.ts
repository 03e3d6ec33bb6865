// Read views of tasks: list items with rollups, the detail bundle, the tree,
// runs, the run detail and the timeline. Batched: a page of N tasks costs a handful of queries, not N.
import { AppError } from '../lib/errors.ts';
import type { SessionRecord } from '../sessions/types.ts';
import type { TaskKernel } from './kernel.ts';
import type { EventRecord, RunRecord, TaskRecord } from './records.ts';
import type { RunFilter, TaskListFilter } from './store/index.ts';
import {
  bestOpenRun,
  dependencyReferenceView,
  dependencyView,
  eventView,
  listItemView,
  runActivity,
  runSummaryView,
  runView,
  summaryView,
  type TaskListItemView,
  taskView,
  timelineView,
} from './views.ts';

/** The detail bundle shows the newest events; the timeline pages through all of them. */
const DETAIL_EVENTS = 200;

/** Where the run detail finds the session bound to a run. */
export interface RunSessions {
  get(id: string): Promise<SessionRecord | undefined>;
}

export class TaskReader {
  readonly #kernel: TaskKernel;
  readonly #sessions: RunSessions;

  constructor(kernel: TaskKernel, sessions: RunSessions) {
    this.#kernel = kernel;
    this.#sessions = sessions;
  }

  async task(id: string): Promise<TaskRecord> {
    const task = await this.#kernel.read.tasks.get(id);
    if (!task)
      throw new AppError('task_not_found', `task "${id}" not found`, { suggestedCommand: 'agh task list' });
    return task;
  }

  async run(id: string): Promise<RunRecord> {
    const run = await this.#kernel.read.runs.get(id);
    if (!run) throw new AppError('run_not_found', `task run "${id}" not found`);
    return run;
  }

  /** A run with its task, its bound session and a summary of its activity. */
  async runDetail(id: string) {
    const run = await this.run(id);
    const task = await this.task(run.task_id);
    const session = run.session_id ? await this.#sessions.get(run.session_id) : undefined;
    const lastEvent = await this.#kernel.read.events.newestOfRun(task.id, run.id);
    return {
      run: runView(run),
      task: summaryView(task),
      ...(session && {
        session: {
          session_id: session.id,
          ...(session.name && { name: session.name }),
          agent_name: session.agent_name,
          workspace_id: session.workspace_id,
          ...(session.channel && { channel: session.channel }),
          state: session.state,
          created_at: session.created_at,
          updated_at: session.updated_at,
        },
      }),
      // Token and cost totals need provider usage reports, which agents do not send yet: null.
      summary: {
        input_tokens: null,
        output_tokens: null,
        total_tokens: null,
        turn_count: null,
        tool_call_count: null,
        total_cost: null,
        cost_currency: null,
        ...(lastEvent && { last_event_type: lastEvent.type }),
        last_activity_at: [runActivity(run), session?.last_activity_at ?? ''].sort().at(-1)!,
      },
    };
  }

  async list(filter: TaskListFilter): Promise<TaskListItemView[]> {
    return this.listItems(await this.#kernel.read.tasks.list(filter));
  }

  async listItems(tasks: readonly TaskRecord[]): Promise<TaskListItemView[]> {
    const q = this.#kernel.read;
    const ids = tasks.map((t) => t.id);
    const [runs, deps, children] = await Promise.all([
      q.runs.ofTasks(ids),
      q.tasks.dependenciesOf(ids),
      q.tasks.childCounts(ids),
    ]);
    const dependsOn = await q.tasks.getMany([...new Set(deps.map((d) => d.depends_on_task_id))]);
    return tasks.map((t) =>
      listItemView(t, {
        runs: runs.filter((r) => r.task_id === t.id),
        dependencies: deps.filter((d) => d.task_id === t.id),
        dependsOn,
        childCount: children.get(t.id) ?? 0,
      }),
    );
  }

  async detail(id: string) {
    const q = this.#kernel.read;
    const task = await this.task(id);
    const [summary] = await this.listItems([task]);
    const children = await this.listItems(await q.tasks.children(id));
    const deps = await q.tasks.dependencies(id);
    const dependsOn = await q.tasks.getMany(deps.map((d) => d.depends_on_task_id));
    const runs = await q.runs.ofTask(id);
    const events = await q.events.newestOfTask(id, DETAIL_EVENTS);
    return {
      task: taskView(task),
      summary: summary!,
      children,
      dependencies: deps.map(dependencyView),
      dependency_references: deps.flatMap((d) => {
        const target = dependsOn.get(d.depends_on_task_id);
        return target ? [dependencyReferenceView(d, target)] : [];
      }),
      runs: runs.map(runView),
      events: events.map(eventView),
    };
  }

  async tree(id: string) {
    const q = this.#kernel.read;
    const nodes = await q.tasks.subtree(id);
    if (nodes.length === 0) throw new AppError('task_not_found', `task "${id}" not found`);
    const ids = nodes.map((n) => n.id);
    const [runs, children] = await Promise.all([q.runs.ofTasks(ids), q.tasks.childCounts(ids)]);
    const depth = new Map<string, number>([[id, 0]]);
    const views = nodes.map((node) => {
      const d = node.id === id ? 0 : depth.get(node.parent_task_id!)! + 1;
      depth.set(node.id, d);
      const own = runs.filter((r) => r.task_id === node.id);
      const active = bestOpenRun(own);
      const activity = own.reduce(
        (max, r) => (runActivity(r) > max ? runActivity(r) : max),
        node.last_activity_at,
      );
      return {
        task: summaryView(node),
        ...(node.parent_task_id && { parent_task_id: node.parent_task_id }),
        depth: d,
        child_count: children.get(node.id) ?? 0,
        ...(active && { active_run: runSummaryView(active, node.max_attempts) }),
        last_activity_at: activity,
      };
    });
    const [root, ...rest] = views;
    rest.sort(
      (a, b) =>
        a.depth - b.depth ||
        (a.last_activity_at < b.last_activity_at ? 1 : a.last_activity_at > b.last_activity_at ? -1 : 0) ||
        (a.task.id < b.task.id ? -1 : 1),
    );
    return { root: root!, descendants: rest };
  }

  async runs(id: string, filter: RunFilter) {
    await this.task(id);
    return (await this.#kernel.read.runs.ofTask(id, filter)).map(runView);
  }

  async timeline(id: string, after: number, limit: number) {
    await this.task(id);
    return this.timelineEntries(await this.#kernel.read.events.ofTask(id, after, limit));
  }

  /** Events as timeline entries: the task (current state) and the run each event is about. */
  async timelineEntries(events: readonly EventRecord[]) {
    const q = this.#kernel.read;
    const tasks = await q.tasks.getMany([...new Set(events.map((e) => e.task_id))]);
    const runs = await q.runs.getMany([...new Set(events.flatMap((e) => (e.run_id ? [e.run_id] : [])))]);
    return events.flatMap((e) => {
      const task = tasks.get(e.task_id);
      return task ? [timelineView(e, task, e.run_id ? runs.get(e.run_id) : undefined)] : [];
    });
  }
}
