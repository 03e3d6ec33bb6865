// Lifecycle transitions of a task: publish, start, approve, reject,
// enqueue and cancel. Publish, start and approve are idempotent per origin: without a key of its
// own, a second call replays the first run forever instead of queueing more work.
import { AppError } from '../lib/errors.ts';
import { enqueueRun, findReplay } from './enqueue.ts';
import type { TaskKernel } from './kernel.ts';
import type { RunRecord, TaskRecord } from './records.ts';
import { transition } from './run-machine.ts';
import { type Actor, isOpenRun, TERMINAL_TASK_STATUSES } from './types.ts';
import type { Unit } from './unit.ts';
import { checkChannel, checkMetadata } from './validate.ts';

export interface EnqueueInput {
  idempotency_key?: string | undefined;
  network_channel?: string | undefined;
  metadata?: unknown;
}

export interface CancelInput {
  reason?: string | undefined;
  metadata?: unknown;
}

/** What cancel needs from the session runtime: is a run's session live, and stop it. */
export interface RunSessionControl {
  isLive(sessionId: string): boolean;
  /** Stops the session working on a canceled run (cooperatively, then by force after the grace). */
  stopForCanceledRun(run: RunRecord, reason: string): Promise<void>;
  readonly graceMs: number;
}

export interface TaskAndRun {
  task: TaskRecord;
  run: RunRecord;
}

export class TaskLifecycle {
  readonly #kernel: TaskKernel;
  readonly #sessions: RunSessionControl | undefined;

  /** Without session control (unit tests of the kernel), canceled runs stop no session. */
  constructor(kernel: TaskKernel, sessions?: RunSessionControl) {
    this.#kernel = kernel;
    this.#sessions = sessions;
  }

  async publish(id: string, input: EnqueueInput, actor: Actor): Promise<TaskAndRun> {
    const options = this.#options(input, `task.publish.${id}`);
    return this.#kernel.write(actor, async (unit) => {
      const replay = await findReplay(unit, options.idempotencyKey, id);
      if (replay) return { task: await unit.task(id), run: replay };
      const task = await unit.task(id);
      if (task.status !== 'draft') {
        throw new AppError(
          'task_transition_invalid',
          `task "${id}" cannot publish from "${task.status}"; only drafts publish`,
        );
      }
      await unit.q.tasks.update(id, { status: 'pending', updated_at: unit.now });
      const status = await unit.reconcile(id);
      if (status === 'blocked') {
        // Thrown inside the transaction: the task stays a draft.
        throw new AppError(
          'task_blocked',
          `task "${id}" is blocked (${await blockReason(unit, task)}); it stays a draft`,
        );
      }
      unit.emit(id, 'task.published', {
        previous_status: 'draft',
        status,
        approval_state: task.approval_state,
      });
      const { run } = await enqueueRun(unit, await unit.task(id), options);
      return { task: await unit.fresh(id), run };
    });
  }

  async start(id: string, input: EnqueueInput, actor: Actor): Promise<TaskAndRun> {
    const options = this.#options(input, `task.start.${id}`);
    return this.#kernel.write(actor, async (unit) => {
      const replay = await findReplay(unit, options.idempotencyKey, id);
      if (replay) return { task: await unit.task(id), run: replay };
      const task = await unit.task(id);
      if (task.status === 'blocked') {
        throw new AppError(
          'task_blocked',
          `task "${id}" is blocked (${await blockReason(unit, task)}); it cannot start`,
        );
      }
      if (task.status === 'draft' || task.status === 'canceled') {
        throw new AppError('task_transition_invalid', `task "${id}" is ${task.status}; it cannot start`);
      }
      const { run } = await enqueueRun(unit, task, options);
      return { task: await unit.fresh(id), run };
    });
  }

  async approve(id: string, input: EnqueueInput, actor: Actor): Promise<TaskAndRun> {
    const options = this.#options(input, `task.approval.${id}`);
    const replayed = await this.#kernel.write(actor, async (unit) => {
      const replay = await findReplay(unit, options.idempotencyKey, id);
      if (replay) return { task: await unit.task(id), run: replay };
      await decide(unit, id, 'approved');
      return undefined;
    });
    if (replayed) return replayed;
    // The approval stands even when the enqueue that follows is refused (a draft, say).
    return this.#kernel.write(actor, async (unit) => {
      const { run } = await enqueueRun(unit, await unit.task(id), options);
      return { task: await unit.fresh(id), run };
    });
  }

  async reject(id: string, actor: Actor): Promise<TaskRecord> {
    return this.#kernel.write(actor, async (unit) => {
      await decide(unit, id, 'rejected');
      return unit.fresh(id);
    });
  }

  async enqueue(id: string, input: EnqueueInput, actor: Actor): Promise<RunRecord> {
    const options = this.#options(input);
    return this.#kernel.write(
      actor,
      async (unit) => (await enqueueRun(unit, await unit.task(id), options)).run,
    );
  }

  /**
   * Cancels the task and its subtree in one transaction (all or nothing), then stops the sessions
   * that were working on the canceled runs.
   */
  async cancel(id: string, input: CancelInput, actor: Actor): Promise<TaskRecord> {
    checkMetadata(input.metadata);
    const stopped: RunRecord[] = [];
    const root = await this.#kernel.write(actor, async (unit) => {
      const task = await unit.task(id);
      if (task.status === 'canceled') return task;
      const nodes = await unit.q.tasks.subtree(id);
      const runs = await unit.q.runs.ofTasks(nodes.map((n) => n.id));
      const rootOpen = runs.some((r) => r.task_id === id && isOpenRun(r.status));
      if ((task.status === 'completed' || task.status === 'failed') && !rootOpen) {
        throw new AppError('task_transition_invalid', `task "${id}" is already ${task.status}`);
      }
      const live = nodes.filter((n) => n.id === id || !TERMINAL_TASK_STATUSES.has(n.status));
      const liveIds = new Set(live.map((n) => n.id));
      const stuck = runs.find((r) => liveIds.has(r.task_id) && r.status === 'needs_attention');
      if (stuck) {
        throw new AppError(
          'task_transition_invalid',
          `run "${stuck.id}" of task "${stuck.task_id}" needs attention; recover it before canceling`,
          { suggestedCommand: `agh run recover ${stuck.id}` },
        );
      }
      for (const node of live) {
        const propagated = node.id === id ? undefined : id;
        const canceledRuns: string[] = [];
        for (const run of runs) {
          if (run.task_id !== node.id || !isOpenRun(run.status)) continue;
          await cancelRun(
            unit,
            run,
            { reason: input.reason, metadata: input.metadata, propagated },
            this.#sessions,
          );
          canceledRuns.push(run.id);
          if (run.session_id) stopped.push(run);
        }
        await unit.q.tasks.update(node.id, { status: 'canceled', closed_at: unit.now, updated_at: unit.now });
        await unit.reconcile(node.id);
        unit.emit(node.id, 'task.canceled', {
          reason: input.reason,
          metadata: input.metadata,
          status: 'canceled',
          propagated_from_task_id: propagated,
          canceled_run_ids: canceledRuns,
        });
      }
      return unit.fresh(id);
    });
    await this.#stopSessions(stopped, input.reason ?? 'task canceled');
    return root;
  }

  /** Stops the sessions of runs canceled elsewhere (run cancel); failures are logged, not thrown. */
  async stopSessionsOf(runs: readonly RunRecord[], reason: string): Promise<void> {
    await this.#stopSessions(runs, reason);
  }

  async #stopSessions(runs: readonly RunRecord[], reason: string): Promise<void> {
    const control = this.#sessions;
    if (!control) return;
    await Promise.all(
      runs.map(async (run) => {
        try {
          await control.stopForCanceledRun(run, reason);
        } catch (err) {
          this.#kernel.logger.warn({ err, run_id: run.id }, 'could not stop the session of a canceled run');
        }
      }),
    );
  }

  #options(input: EnqueueInput, defaultKey?: string) {
    checkMetadata(input.metadata);
    const key = input.idempotency_key?.trim() || defaultKey;
    return {
      idempotencyKey: key,
      networkChannel: checkChannel(input.network_channel),
      metadata: input.metadata,
    };
  }
}

/** Cancels one open run inside a unit. */
export async function cancelRun(
  unit: Unit,
  run: RunRecord,
  input: { reason?: string | undefined; metadata?: unknown; propagated?: string | undefined },
  sessions: RunSessionControl | undefined,
): Promise<void> {
  const live = run.session_id !== null && (sessions?.isLive(run.session_id) ?? false);
  await transition(unit, run, 'cancel', {
    payload: {
      reason: input.reason,
      metadata: input.metadata,
      session_id: run.session_id,
      propagated_from_task_id: input.propagated,
      cooperative_stop_requested: live || undefined,
    },
  });
  if (live) {
    unit.emit(
      run.task_id,
      'task.run_force_stopped',
      {
        // Only a run with a session can have a live one.
        session_id: run.session_id!,
        grace_timeout_ms: sessions!.graceMs,
        propagated_from_task_id: input.propagated,
      },
      run.id,
    );
  }
}

/** Records the approval decision on a task waiting for one. */
async function decide(unit: Unit, id: string, decision: 'approved' | 'rejected'): Promise<void> {
  const task = await unit.task(id);
  if (task.approval_policy !== 'manual' || task.approval_state !== 'pending') {
    throw new AppError(
      'task_transition_invalid',
      `task "${id}" is not waiting for approval (policy ${task.approval_policy}, state ${task.approval_state})`,
    );
  }
  await unit.q.tasks.update(id, { approval_state: decision, updated_at: unit.now });
  const status = await unit.reconcile(id);
  unit.emit(id, `task.${decision}`, { previous_approval_state: 'pending', approval_state: decision, status });
}

async function blockReason(unit: Unit, task: TaskRecord): Promise<string> {
  const reasons: string[] = [];
  if (task.approval_policy === 'manual' && task.approval_state !== 'approved') {
    reasons.push(`approval ${task.approval_state}`);
  }
  if (await unit.q.tasks.hasUnresolvedDependency(task.id)) reasons.push('waiting for dependencies');
  return reasons.join(', ') || 'blocked';
}
