// Operator paths on single runs: the manual claim/start/attach/complete/fail/
// cancel of /api/task-runs, and the overrides of /api/runs (force release and fail, retry, recover,
// bulk). Leased runs stay the lease holder's: a human can cancel or force them, never complete them.
import { AppError } from '../lib/errors.ts';
import type { SessionRecord } from '../sessions/types.ts';
import { enqueueRun } from './enqueue.ts';
import type { TaskKernel } from './kernel.ts';
import { cancelRun, type RunSessionControl, type TaskLifecycle } from './lifecycle.ts';
import type { RunRecord, TaskRecord } from './records.ts';
import { checkOutcome, finish, finishMove, type Outcome } from './run-finish.ts';
import { assertMove, transition } from './run-machine.ts';
import { cannotMove } from './run-moves.ts';
import { type Actor, LIMITS } from './types.ts';
import type { Unit } from './unit.ts';
import { checkMetadata } from './validate.ts';

/** The Go zero time: what a manual claim reports as its lease_until (it has no lease). */
const NO_LEASE = '0001-01-01T00:00:00Z';

/** How a run gets a session of its own (the dispatcher provides it). */
export interface RunSessionStarter {
  /** Throws a clear AppError when no session could be started for the task (nothing moves then). */
  check(task: TaskRecord): Promise<void>;
  /** Stops a session started for a run that went elsewhere. */
  abandon(sessionId: string): Promise<void>;
  /** Starts a dedicated session for the run and returns its id. */
  startFor(task: TaskRecord, run: RunRecord): Promise<string>;
  /** The run is running with that session bound: make the session work on it. */
  drive(runId: string): void;
}

export interface SessionDirectory {
  get(id: string): Promise<SessionRecord | undefined>;
}

export interface ForceInput {
  reason?: string | undefined;
  metadata?: unknown;
}

export interface BulkResult {
  run_id: string;
  ok: boolean;
  run?: RunRecord;
  error?: AppError;
}

export class RunOperations {
  readonly #kernel: TaskKernel;
  readonly #lifecycle: TaskLifecycle;
  readonly #sessions: SessionDirectory;
  readonly #control: RunSessionControl | undefined;
  readonly #starter: RunSessionStarter | undefined;

  /** Without control and starter (unit tests of the kernel), manual start has no session to start. */
  constructor(
    kernel: TaskKernel,
    lifecycle: TaskLifecycle,
    sessions: SessionDirectory,
    control?: RunSessionControl,
    starter?: RunSessionStarter,
  ) {
    this.#kernel = kernel;
    this.#lifecycle = lifecycle;
    this.#sessions = sessions;
    this.#control = control;
    this.#starter = starter;
  }

  async claim(id: string, actor: Actor): Promise<RunRecord> {
    return this.#kernel.write(actor, async (unit) => {
      const run = await unit.run(id);
      const task = await unit.task(run.task_id);
      assertExecutable(task);
      if (task.owner?.kind === 'pool') {
        throw new AppError(
          'task_transition_invalid',
          `task "${task.id}" belongs to the pool of agent "${task.owner.ref}"; its runs are claimed through claim-next`,
        );
      }
      if (task.owner?.kind === 'agent_session' && actor.sessionId !== task.owner.ref) {
        throw new AppError(
          'task_transition_invalid',
          `task "${task.id}" belongs to session "${task.owner.ref}"`,
        );
      }
      await transition(unit, run, 'claim', {
        set: { claimed_by_kind: actor.actor.kind, claimed_by_ref: actor.actor.ref },
        payload: { claimed_by: actor.actor, lease_until: NO_LEASE },
      });
      return unit.run(id);
    });
  }

  /**
   * Claimed → starting → (a dedicated session starts and is bound) → running; starting with a bound
   * session → running. If the session cannot start, the run fails and the error is returned.
   */
  async start(id: string, actor: Actor): Promise<RunRecord> {
    // Refused before anything moves: a run that cannot get a session stays claimed. (Checked
    // outside the transaction: finding the worker agent reads the workspace registry.)
    const before = await this.#kernel.read.runs.get(id);
    if (before?.status === 'claimed' && before.session_id === null) {
      if (!this.#starter) {
        throw new AppError('task_transition_invalid', 'this daemon cannot start sessions for runs');
      }
      const task = await this.#kernel.read.tasks.get(before.task_id);
      if (task) await this.#starter.check(task);
    }
    const begun = await this.#kernel.write(actor, async (unit) => {
      const run = await unit.run(id);
      const task = await unit.task(run.task_id);
      if (run.status === 'starting') {
        if (!run.session_id)
          throw new AppError(
            'task_transition_invalid',
            `task run "${id}" is starting without a session; attach one first`,
          );
        await transition(unit, run, 'session_started', { payload: { session_id: run.session_id } });
        return { run: await unit.run(id), task, needsSession: false };
      }
      assertMove(run, 'start', unit.now);
      assertExecutable(task);
      await transition(unit, run, 'start', { payload: { session_id: run.session_id } });
      return { run: await unit.run(id), task, needsSession: run.session_id === null };
    });
    if (!begun.needsSession) {
      if (begun.run.status === 'running') this.#starter?.drive(id);
      return begun.run;
    }
    const starter = this.#starter!;
    let sessionId: string;
    try {
      sessionId = await starter.startFor(begun.task, begun.run);
    } catch (err) {
      await this.#kernel.write(actor, async (unit) => {
        const run = await unit.run(id);
        // Canceled meanwhile: nothing left to fail.
        if (run.status !== 'starting') return;
        await finish(unit, run, {
          status: 'failed',
          error: `session start failed: ${(err as Error).message}`,
        });
      });
      throw err instanceof AppError
        ? err
        : new AppError('agent_start_failed', `session start failed: ${(err as Error).message}`);
    }
    const running = await this.#kernel
      .write(actor, async (unit) => {
        const run = await unit.run(id);
        if (run.status !== 'starting') throw cannotMove(run, 'running');
        await transition(unit, run, 'attach_session', {
          set: { session_id: sessionId },
          payload: { session_id: sessionId },
        });
        await transition(unit, await unit.run(id), 'session_started', { payload: { session_id: sessionId } });
        return unit.run(id);
      })
      .catch(async (err: unknown) => {
        // The run moved on meanwhile (canceled, say): the session started for it has no work.
        await starter.abandon(sessionId);
        throw err;
      });
    starter.drive(id);
    return running;
  }

  async attachSession(id: string, sessionId: string, actor: Actor): Promise<RunRecord> {
    const session = await this.#sessions.get(sessionId);
    if (!session) throw new AppError('session_not_found', `session "${sessionId}" not found`);
    if (session.state !== 'active')
      throw new AppError('session_not_active', `session "${sessionId}" is ${session.state}`);
    return this.#kernel.write(actor, async (unit) => {
      const run = await unit.run(id);
      assertMove(run, 'attach_session', unit.now);
      if (run.session_id)
        throw new AppError(
          'session_already_bound',
          `task run "${id}" already has session "${run.session_id}"`,
        );
      const busy = await unit.q.runs.activeOfSession(sessionId);
      if (busy.length > 0) {
        throw new AppError(
          'session_already_bound',
          `session "${sessionId}" already works on run "${busy[0]!.id}"`,
        );
      }
      await transition(unit, run, 'attach_session', {
        set: { session_id: sessionId },
        payload: { session_id: sessionId },
      });
      return unit.run(id);
    });
  }

  async complete(id: string, input: { result?: unknown }, actor: Actor): Promise<RunRecord> {
    return this.finish(id, { status: 'completed', result: input.result }, actor);
  }

  async fail(
    id: string,
    input: { error?: string | undefined; metadata?: unknown },
    actor: Actor,
  ): Promise<RunRecord> {
    return this.finish(id, { status: 'failed', error: input.error ?? '', metadata: input.metadata }, actor);
  }

  /**
   * Ends a run no session leased (a manual run, or one the dispatcher drove for it). The session
   * working on it stops first; if that fails the run is left as it was.
   */
  async finish(id: string, reported: Outcome, actor: Actor): Promise<RunRecord> {
    const outcome = checkOutcome(reported);
    const run = await this.#kernel.read.runs.get(id);
    if (!run) throw new AppError('run_not_found', `task run "${id}" not found`);
    // Refused before the session is stopped; checked again in the write.
    assertMove(run, finishMove(outcome, undefined), this.#kernel.now());
    if (run.session_id && this.#control?.isLive(run.session_id)) {
      await this.#control.stopForCanceledRun(run, `run ${outcome.status} by the operator`);
    }
    return this.#kernel.write(actor, async (unit) => {
      await finish(unit, await unit.run(id), outcome);
      return unit.run(id);
    });
  }

  async cancel(id: string, input: ForceInput, actor: Actor): Promise<RunRecord> {
    checkMetadata(input.metadata);
    const run = await this.#kernel.write(actor, async (unit) => {
      const current = await unit.run(id);
      await cancelRun(unit, current, input, this.#control);
      return current;
    });
    if (run.session_id) await this.#lifecycle.stopSessionsOf([run], input.reason ?? 'run canceled');
    return (await this.#kernel.read.runs.get(id))!;
  }

  // ---- /api/runs overrides

  async forceRelease(id: string, input: ForceInput, actor: Actor): Promise<RunRecord> {
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const run = await unit.run(id);
      await transition(unit, run, 'force_release', {
        payload: {
          reason: input.reason,
          previous_session_id: run.session_id,
          previous_claim_token_hash_truncated: truncatedHash(run.claim_token_hash),
          previous_lease_until: run.lease_until,
        },
      });
      return unit.run(id);
    });
  }

  async forceFail(id: string, input: ForceInput, actor: Actor): Promise<RunRecord> {
    const reason = requireReason(input.reason, 'force-failing a run');
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const run = await unit.run(id);
      await transition(unit, run, 'force_fail', {
        set: { error: reason },
        payload: { reason, session_id: run.session_id, metadata: input.metadata },
      });
      return unit.run(id);
    });
  }

  async retry(
    id: string,
    input: { metadata?: unknown },
    actor: Actor,
  ): Promise<{ previous: RunRecord; run: RunRecord }> {
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const source = await unit.run(id);
      if (source.status !== 'failed') {
        throw new AppError(
          'task_run_still_active',
          `task run "${id}" is ${source.status}; only failed runs are retried`,
        );
      }
      await this.#checkChain(unit, source);
      const { run, taskStatus } = await this.#successor(unit, source, input.metadata);
      unit.emit(
        source.task_id,
        'task.run_operator_retry',
        {
          manual: true,
          actor_kind: actor.actor.kind,
          actor_id: actor.actor.ref,
          source_run_id: source.id,
          new_run_id: run.id,
          task_status: taskStatus,
        },
        run.id,
      );
      return { previous: source, run };
    });
  }

  async recover(
    id: string,
    input: ForceInput,
    actor: Actor,
  ): Promise<{ previous: RunRecord; run: RunRecord }> {
    checkMetadata(input.metadata);
    return this.#kernel.write(actor, async (unit) => {
      const source = await unit.run(id);
      assertMove(source, 'recover_from_attention', unit.now);
      await this.#checkChain(unit, source);
      const reason = input.reason?.trim() || 'recovered by the operator';
      let run: RunRecord | undefined;
      // The source fails and its successor is queued in one move: if the budget is used up, neither.
      await transition(unit, source, 'recover_from_attention', {
        set: { error: reason },
        payload: { reason },
        then: async () => {
          run = (await this.#successor(unit, source, input.metadata)).run;
          return { runId: run.id, payload: { source_run_id: source.id, new_run_id: run.id } };
        },
      });
      return { previous: await unit.run(id), run: run! };
    });
  }

  async bulk(
    action: 'release' | 'fail',
    input: { run_ids: string[]; reason?: string | undefined; metadata?: unknown },
    actor: Actor,
  ): Promise<BulkResult[]> {
    if (input.run_ids.some((r) => r.trim() === ''))
      throw new AppError('task_invalid', 'run_ids must not contain blank ids');
    const ids = [...new Set(input.run_ids.map((r) => r.trim()))];
    if (ids.length === 0) throw new AppError('task_invalid', 'run_ids must name at least one run');
    if (ids.length > LIMITS.bulkIds) {
      throw new AppError('bulk_too_large', `at most ${LIMITS.bulkIds} runs per request, got ${ids.length}`);
    }
    if (action === 'fail') requireReason(input.reason, 'force-failing runs');
    const results: BulkResult[] = [];
    for (const id of ids) {
      try {
        const run =
          action === 'release'
            ? await this.forceRelease(id, { reason: input.reason }, actor)
            : await this.forceFail(id, { reason: input.reason, metadata: input.metadata }, actor);
        results.push({ run_id: id, ok: true, run });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        results.push({ run_id: id, ok: false, error: err });
      }
    }
    return results;
  }

  /** The next attempt after `source`, chained to it; retry and recover write their own event. */
  async #successor(unit: Unit, source: RunRecord, metadata: unknown) {
    const { run } = await enqueueRun(unit, await unit.task(source.task_id), {
      previousRunId: source.id,
      networkChannel: source.network_channel,
      metadata,
      silent: true,
    });
    return { run, taskStatus: (await unit.task(source.task_id)).status };
  }

  async #checkChain(unit: Unit, source: RunRecord): Promise<void> {
    let depth = 0;
    for (let at: RunRecord | undefined = source; at?.previous_run_id; depth++) {
      if (depth + 1 >= LIMITS.retryChainDepth) {
        throw new AppError(
          'retry_chain_too_deep',
          `task run "${source.id}" is the end of a retry chain of ${depth + 1}; enqueue a fresh run instead`,
        );
      }
      at = await unit.q.runs.get(at.previous_run_id);
    }
    const child = await unit.q.runs.retryOf(source.id);
    if (child)
      throw new AppError(
        'task_transition_invalid',
        `task run "${source.id}" already has retry run "${child.id}"`,
      );
  }
}

function assertExecutable(task: TaskRecord): void {
  if (task.status === 'blocked' || task.status === 'draft' || task.status === 'canceled') {
    throw new AppError(
      'task_transition_invalid',
      `task "${task.id}" is ${task.status}; its runs cannot be claimed or started`,
    );
  }
}

function requireReason(reason: string | undefined, what: string): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed === '')
    throw new AppError('force_op_requires_reason', `${what} needs a reason: say why in "reason"`);
  return trimmed;
}

export function truncatedHash(hash: string | null): string | undefined {
  return hash ? hash.replace(/^sha256:/, '').slice(0, 8) : undefined;
}
