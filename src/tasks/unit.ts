// One write to the task kernel: the queries of its transaction, the moment it happens, who acts, the
// events it will append and the status reconciliation every change needs.
import type { TaskEventPayload, TaskEventType } from '../contract/task-events.ts';
import { newPrefixedId } from '../lib/ids.ts';
import type { LogEvent } from '../store/event-log.ts';
import { deriveTaskStatus } from './derive.ts';
import type { TaskKernel } from './kernel.ts';
import type { EventRecord, RunRecord, TaskRecord } from './records.ts';
import type { NewEvent, TaskQueries } from './store/index.ts';
import { type Actor, isActiveRun, TERMINAL_TASK_STATUSES, type TaskStatus } from './types.ts';
import { AppError } from '../lib/errors.ts';

export class Unit {
  readonly q: TaskQueries;
  readonly now: string;
  readonly actor: Actor;
  readonly #pending: NewEvent[] = [];
  readonly #written: EventRecord[] = [];
  readonly #logged: LogEvent[] = [];
  readonly #afterCommit: ((kernel: TaskKernel) => Promise<void>)[] = [];

  constructor(q: TaskQueries, now: string, actor: Actor) {
    this.q = q;
    this.now = now;
    this.actor = actor;
  }

  /** Buffers one task event; its type and payload are the catalogue's (src/contract/task-events.ts). */
  emit<T extends TaskEventType>(task: string, type: T, payload: TaskEventPayload<T>, run?: string): void {
    this.#pending.push({
      id: newPrefixedId('evt'),
      task_id: task,
      run_id: run ?? null,
      type,
      actor: this.actor.actor,
      origin: this.actor.origin,
      payload: dropUndefined(payload),
      timestamp: this.now,
    });
  }

  /**
   * A follow-up that must see this write committed (its own writes come after). Best effort: it
   * cannot undo what this unit wrote, so a failure is logged.
   */
  afterCommit(step: (kernel: TaskKernel) => Promise<void>): void {
    this.#afterCommit.push(step);
  }

  get followUps(): readonly ((kernel: TaskKernel) => Promise<void>)[] {
    return this.#afterCommit;
  }

  /** Appends the buffered events; returns every event this unit appended so far. */
  async flush(): Promise<EventRecord[]> {
    const { records, logged } = await this.q.events.append(this.#pending.splice(0));
    this.#written.push(...records);
    this.#logged.push(...logged);
    return this.#written;
  }

  /** Everything this unit appended, as the log holds it: what live listeners hear after commit. */
  get logged(): readonly LogEvent[] {
    return this.#logged;
  }

  /** The task as it is after this unit's events, for replies (latest_event_seq included). */
  async fresh(id: string): Promise<TaskRecord> {
    await this.flush();
    return this.task(id);
  }

  async task(id: string): Promise<TaskRecord> {
    const task = await this.q.tasks.get(id, true);
    if (!task) throw new AppError('task_not_found', `task "${id}" not found`);
    return task;
  }

  async run(id: string): Promise<RunRecord> {
    const run = await this.q.runs.get(id, true);
    if (!run) throw new AppError('run_not_found', `task run "${id}" not found`);
    return run;
  }

  /**
   * Re-derives the task's status and current run from its runs, dependencies, approval and budget,
   * stores them when they changed, and carries a status change on to the tasks that depend on it.
   */
  async reconcile(taskId: string, seen = new Set<string>()): Promise<TaskStatus> {
    seen.add(taskId);
    const task = await this.task(taskId);
    const runs = await this.q.runs.ofTask(taskId);
    const status = deriveTaskStatus({
      persisted: task.status,
      dependenciesUnresolved: await this.q.tasks.hasUnresolvedDependency(taskId),
      approvalPending: task.approval_policy === 'manual' && task.approval_state !== 'approved',
      maxAttempts: task.max_attempts,
      runs,
    });
    const current = runs.find((r) => isActiveRun(r.status))?.id ?? null;
    if (status === task.status && current === task.current_run_id) return status;
    const closed = TERMINAL_TASK_STATUSES.has(status) ? (task.closed_at ?? this.now) : null;
    await this.q.tasks.update(taskId, {
      status,
      current_run_id: current,
      closed_at: closed,
      ...(status !== task.status && { updated_at: this.now }),
    });
    if (status !== task.status) {
      for (const dependent of await this.q.tasks.dependents(taskId)) {
        if (!seen.has(dependent)) await this.reconcile(dependent, seen);
      }
    }
    return status;
  }
}

function dropUndefined(payload: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(payload).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
}
