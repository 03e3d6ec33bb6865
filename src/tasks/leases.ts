// Leases: a session claims the next eligible run, keeps it alive, and completes,
// fails or releases it. Each claim gets a fresh token whose SHA-256 is the claim's identity; the
// token itself is never stored or shown. Every lease write is a compare-and-swap on that hash, so a
// holder whose lease was released, expired or reclaimed is refused and never overwrites a newer one.
import { AppError } from '../lib/errors.ts';
import { newClaimToken, sha256Hex } from '../lib/ids.ts';
import type { TaskKernel } from './kernel.ts';
import { daemonActor, sessionActor } from './kernel.ts';
import type { RunRecord, TaskRecord } from './records.ts';
import { checkOutcome, finish, type Outcome } from './run-finish.ts';
import { transition, tryTransition } from './run-machine.ts';
import { isActiveRun, PRIORITY_WEIGHT } from './types.ts';
import type { Unit } from './unit.ts';
import { checkLeaseSeconds } from './validate.ts';
import type { CoordinationChannelView } from './views.ts';

/** The session asking, as the identity check resolved it. */
export interface LeaseCaller {
  sessionId: string;
  agentName: string;
  workspaceId: string | null;
  channel: string | null;
}

export interface ClaimNextInput {
  workspace_id?: string | undefined;
  required_capabilities?: string[] | undefined;
  priority_min?: number | undefined;
  lease_seconds?: number | undefined;
  wait?: boolean | undefined;
}

export interface Claim {
  task: TaskRecord;
  run: RunRecord;
  channel: CoordinationChannelView | undefined;
}

/**
 * Events after which some queued run may have become claimable (new or requeued work, a lifted
 * hold or gate, a finished blocker or lease): long polls and the dispatcher look again.
 */
export const WORK_MAY_BE_CLAIMABLE: ReadonlySet<string> = new Set([
  'task.run_enqueued',
  'task.run_released',
  'task.run_lease_expired',
  'task.run_operator_retry',
  'task.run_recovered_from_attention',
  'task.resumed',
  'task.approved',
  'task.updated',
  'task.dependency_removed',
  'task.run_completed',
  'task.run_failed',
  'task.run_canceled',
]);

export class LeaseService {
  readonly #kernel: TaskKernel;
  readonly #waiters = new Map<() => void, { caller: LeaseCaller; priorityMin: number | undefined }>();
  #closed = false;

  constructor(kernel: TaskKernel) {
    this.#kernel = kernel;
    // Anything that may have made work claimable wakes the long polls; they try again.
    kernel.bus.subscribe((event) => {
      if (WORK_MAY_BE_CLAIMABLE.has(event.type)) this.wakeWaiters();
    });
  }

  /** Wakes every claim-next long poll (new work, a resumed scheduler, shutdown). */
  wakeWaiters(): void {
    for (const wake of [...this.#waiters.keys()]) wake();
  }

  /** Ends every long poll: they answer "nothing to claim" at once. */
  close(): void {
    this.#closed = true;
    this.wakeWaiters();
  }

  /** A long-polling session could take a run of this task (the dispatcher then leaves it to them). */
  hasEligibleWaiter(task: TaskRecord): boolean {
    for (const { caller, priorityMin } of this.#waiters.values()) {
      // A session bound to a channel takes only runs coordinated there; the dispatcher's are not.
      if (caller.channel !== null) continue;
      if (priorityMin !== undefined && PRIORITY_WEIGHT[task.priority] < priorityMin) continue;
      if (task.scope === 'workspace' && caller.workspaceId !== task.workspace_id) continue;
      if (task.owner?.kind === 'pool' && task.owner.ref !== caller.agentName) continue;
      if (task.owner?.kind === 'agent_session' && task.owner.ref !== caller.sessionId) continue;
      if (task.owner && task.owner.kind !== 'pool' && task.owner.kind !== 'agent_session') continue;
      return true;
    }
    return false;
  }

  async claimNext(
    caller: LeaseCaller,
    input: ClaimNextInput,
    signal?: AbortSignal,
  ): Promise<Claim | undefined> {
    const leaseSeconds = checkLeaseSeconds(input.lease_seconds);
    if (input.priority_min !== undefined && !Number.isInteger(input.priority_min)) {
      throw new AppError(
        'task_invalid',
        'priority_min must be an integer (low 10, medium 20, high 30, urgent 40)',
      );
    }
    const requested = input.workspace_id?.trim() ?? '';
    if (requested !== '' && requested !== caller.workspaceId) {
      throw new AppError(
        'identity_unauthorized',
        `this session works in workspace "${caller.workspaceId ?? '(none)'}"; it cannot claim work of "${requested}"`,
      );
    }
    for (;;) {
      if (signal?.aborted) return undefined;
      // Registered before the attempt, so work enqueued while it runs still wakes this poll.
      let woken = false;
      let wake: () => void = () => {
        woken = true;
      };
      const waiter = () => wake();
      if (input.wait) this.#waiters.set(waiter, { caller, priorityMin: input.priority_min });
      try {
        const claim = await this.#tryClaim(
          caller,
          { ...input, workspaceOnly: requested !== '' },
          leaseSeconds,
        );
        if (claim || !input.wait || this.#closed || signal?.aborted) return claim;
        if (!woken) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        if (this.#closed || signal?.aborted) return undefined;
      } finally {
        this.#waiters.delete(waiter);
      }
    }
  }

  async #tryClaim(
    caller: LeaseCaller,
    input: ClaimNextInput & { workspaceOnly: boolean },
    leaseSeconds: number,
  ): Promise<Claim | undefined> {
    const actor = sessionActor(caller.sessionId, 'claim_next');
    return this.#kernel.write(actor, async (unit) => {
      if ((await unit.q.scheduler.get()).paused) return undefined;
      const session = await unit.q.runs.sessionState(caller.sessionId);
      if (!session || session.state !== 'active' || session.agent_name !== caller.agentName) {
        throw new AppError(
          'identity_unauthorized',
          `session "${caller.sessionId}" is not active; it cannot claim work`,
        );
      }
      const held = (await unit.q.runs.activeOfSession(caller.sessionId)).filter(
        (r) => r.lease_until === null || r.lease_until > unit.now,
      );
      if (held.length > 0) {
        throw new AppError(
          'active_run_lease',
          `active run lease exists: session "${caller.sessionId}" holds run "${held[0]!.id}"; complete, fail or release it first`,
          { evidence: { run_id: held[0]!.id } },
        );
      }
      const candidate = await unit.q.runs.claimCandidate({
        now: unit.now,
        sessionId: caller.sessionId,
        agentName: caller.agentName,
        workspaceId: caller.workspaceId,
        workspaceOnly: input.workspaceOnly,
        channel: caller.channel,
        priorityMin: input.priority_min ?? null,
      });
      if (!candidate) return undefined;
      const hash = `sha256:${sha256Hex(newClaimToken())}`;
      const leaseUntil = new Date(Date.parse(unit.now) + leaseSeconds * 1000).toISOString();
      const claimedBy = { kind: 'agent_session' as const, ref: caller.sessionId };
      const moved = await tryTransition(unit, candidate, 'claim', {
        set: {
          claimed_by_kind: claimedBy.kind,
          claimed_by_ref: claimedBy.ref,
          session_id: caller.sessionId,
          claim_token_hash: hash,
          lease_until: leaseUntil,
          heartbeat_at: unit.now,
        },
        payload: { claimed_by: claimedBy, claim_token_hash: hash, lease_until: leaseUntil },
      });
      if (moved === undefined) return undefined;
      const run = await unit.run(candidate.id);
      const task = await unit.fresh(candidate.task_id);
      return { task, run, channel: coordinationChannel(task, run) };
    });
  }

  /**
   * The session ended: runs it still held claimed go back to the queue (same run, same attempt)
   * rather than waiting out their lease. Runs the daemon drives are settled by their turn instead.
   */
  async releaseOfSession(sessionId: string, reason: string): Promise<number> {
    return this.#kernel.write(daemonActor('session-reaper'), async (unit) => {
      const held = (await unit.q.runs.activeOfSession(sessionId)).filter(
        (r) => r.status === 'claimed' && r.claim_token_hash !== null,
      );
      for (const run of held) {
        await tryTransition(unit, run, 'session_ended', { payload: { reason, session_id: sessionId } });
      }
      return held.length;
    });
  }

  /** The holder started working: a claimed lease becomes running (the task shows in_progress). */
  async markRunning(caller: LeaseCaller, runId: string): Promise<RunRecord> {
    return this.#fenced(caller, runId, 'start', async (unit, run) => {
      if (run.status !== 'claimed') return;
      await transition(unit, run, 'holder_start', {
        session: caller.sessionId,
        payload: { session_id: run.session_id },
      });
    });
  }

  async heartbeat(
    caller: LeaseCaller,
    runId: string,
    input: { lease_seconds?: number | undefined },
  ): Promise<RunRecord> {
    const leaseSeconds = checkLeaseSeconds(input.lease_seconds);
    return this.#fenced(caller, runId, 'heartbeat', async (unit, run) => {
      const leaseUntil = new Date(Date.parse(unit.now) + leaseSeconds * 1000).toISOString();
      await transition(unit, run, 'heartbeat', {
        session: caller.sessionId,
        set: { lease_until: leaseUntil },
        payload: { lease_until: leaseUntil, heartbeat_at: unit.now, claim_token_hash: run.claim_token_hash },
      });
    });
  }

  async complete(caller: LeaseCaller, runId: string, input: { result?: unknown }): Promise<RunRecord> {
    return this.finish(caller, runId, { status: 'completed', result: input.result });
  }

  async fail(
    caller: LeaseCaller,
    runId: string,
    input: { error?: string | undefined; metadata?: unknown },
  ): Promise<RunRecord> {
    return this.finish(caller, runId, {
      status: 'failed',
      error: input.error ?? '',
      metadata: input.metadata,
    });
  }

  /** The holder reports how its run ended (the agent API, or the dispatcher after an ACP turn). */
  async finish(caller: LeaseCaller, runId: string, reported: Outcome): Promise<RunRecord> {
    const outcome = checkOutcome(reported);
    const action = outcome.status === 'completed' ? 'complete' : 'fail';
    return this.#fenced(caller, runId, action, (unit, run) => finish(unit, run, outcome, caller.sessionId));
  }

  async release(
    caller: LeaseCaller,
    runId: string,
    input: { reason?: string | undefined },
  ): Promise<RunRecord> {
    return this.#fenced(caller, runId, 'release', async (unit, run) => {
      await transition(unit, run, 'holder_release', {
        session: caller.sessionId,
        payload: { reason: input.reason, session_id: caller.sessionId },
      });
    });
  }

  /**
   * Finds the caller's lease on `runId` and runs `write` on it, inside one
   * transaction. Returns the run as written. The moves `write` makes check the holder again.
   */
  async #fenced(
    caller: LeaseCaller,
    runId: string,
    action: string,
    write: (unit: Unit, run: RunRecord) => Promise<unknown>,
  ): Promise<RunRecord> {
    return this.#kernel.write(sessionActor(caller.sessionId, action), async (unit) => {
      const handles = await unit.q.runs.leasedBySession(caller.sessionId);
      const live = handles.filter(
        (r) => isActiveRun(r.status) && r.lease_until !== null && r.lease_until > unit.now,
      );
      const target = handles.find((r) => r.id === runId);
      if (live.length > 1) {
        throw new AppError(
          'lease_already_held',
          `AUTONOMY_LEASE_ALREADY_HELD: session "${caller.sessionId}" holds ${live.length} leases`,
        );
      }
      if (!target) {
        if (live.length === 1) {
          throw new AppError(
            'lease_foreign_run',
            `AUTONOMY_FOREIGN_RUN: run "${runId}" is not leased by this session; it holds "${live[0]!.id}"`,
          );
        }
        if (!(await unit.q.runs.get(runId)))
          throw new AppError('run_not_found', `task run "${runId}" not found`);
        throw new AppError(
          'no_active_lease',
          `AUTONOMY_NO_ACTIVE_LEASE: session "${caller.sessionId}" holds no lease on run "${runId}"`,
          {
            suggestedCommand: 'agh task next',
          },
        );
      }
      if (!live.includes(target)) {
        throw new AppError(
          'lease_expired',
          `AUTONOMY_LEASE_EXPIRED: the lease on run "${runId}" is over (${target.status}${isActiveRun(target.status) ? `, lease ended ${target.lease_until}` : ''})`,
        );
      }
      await write(unit, target);
      await unit.flush();
      return unit.run(runId);
    });
  }
}

export function coordinationChannel(task: TaskRecord, run: RunRecord): CoordinationChannelView | undefined {
  if (!run.coordination_channel_id) return undefined;
  return {
    id: run.coordination_channel_id,
    channel: run.coordination_channel_id,
    display_name: `${task.title} (${run.id})`,
    purpose: 'task_run_coordination',
    ...(task.workspace_id && { workspace_id: task.workspace_id }),
    task_id: task.id,
    run_id: run.id,
    allowed_message_kinds: ['status', 'request', 'reply', 'blocker', 'handoff', 'result', 'review_request'],
  };
}
