// The scheduler: a switch that stops new claims (pause, drain), the lease
// sweeper that requeues expired leases, boot recovery of runs whose session died with the daemon,
// and the starvation ladder that turns runs nobody can take into needs_attention.
import type { LeaseExpiryReason } from '../contract/task-events.ts';
import { AppError } from '../lib/errors.ts';
import { daemonActor, type TaskKernel } from './kernel.ts';
import type { RunRecord } from './records.ts';
import { tryTransition } from './run-machine.ts';
import { type Actor, isActiveRun, LIMITS } from './types.ts';
import type { Unit } from './unit.ts';
import type { SchedulerSettings } from '../settings/settings.ts';

export type { SchedulerSettings };

/** What recovery needs to know about a run's session. */
export interface SessionLiveness {
  /** The session runs in this daemon right now. */
  liveHere(sessionId: string): boolean;
  /** The session belongs to this daemon (so if it is not live here, it is gone). */
  ownedHere(sessionId: string): Promise<boolean>;
}

export interface SchedulerStatus {
  paused: boolean;
  paused_by?: string;
  paused_at?: string;
  paused_reason?: string;
  active_claim_count: number;
  queued_run_count: number;
  paused_task_count: number;
  starved_run_count: number;
  needs_attention_run_count: number;
  as_of: string;
}

const STARVED_EVENT_CYCLES = 6;
const MAX_DRAIN_SECONDS = 3600;

export class SchedulerService {
  readonly #kernel: TaskKernel;
  readonly #settings: SchedulerSettings;
  readonly #onResume: () => void;

  constructor(kernel: TaskKernel, settings: SchedulerSettings, onResume: () => void = () => {}) {
    this.#kernel = kernel;
    this.#settings = settings;
    this.#onResume = onResume;
  }

  async status(): Promise<SchedulerStatus> {
    const q = this.#kernel.read;
    const now = this.#kernel.clock.now();
    const [state, counts, pausedTasks, starved] = await Promise.all([
      q.scheduler.get(),
      q.runs.countByStatus(),
      q.scheduler.countPausedTasks(),
      q.runs.countStarved(new Date(now.getTime() - this.#settings.starvationAfterMs).toISOString()),
    ]);
    return {
      paused: state.paused,
      ...(state.paused_by && { paused_by: state.paused_by }),
      ...(state.paused_at && { paused_at: state.paused_at }),
      ...(state.paused_reason && { paused_reason: state.paused_reason }),
      active_claim_count:
        (counts.get('claimed') ?? 0) + (counts.get('starting') ?? 0) + (counts.get('running') ?? 0),
      queued_run_count: counts.get('queued') ?? 0,
      paused_task_count: pausedTasks,
      starved_run_count: starved,
      needs_attention_run_count: counts.get('needs_attention') ?? 0,
      as_of: now.toISOString(),
    };
  }

  async backlog(filter: { workspaceId?: string; scope?: string; includePaused?: boolean; limit?: number }) {
    const limit = filter.limit ?? LIMITS.backlogDefault;
    if (limit < 1 || limit > LIMITS.backlogMax) {
      throw new AppError('task_invalid', `limit must be between 1 and ${LIMITS.backlogMax}, got ${limit}`);
    }
    return this.#kernel.read.runs.queued({
      ...(filter.workspaceId && { workspaceId: filter.workspaceId }),
      ...(filter.scope && { scope: filter.scope }),
      includePaused: filter.includePaused ?? false,
      limit,
    });
  }

  async pause(reason: string | undefined, actor: Actor): Promise<SchedulerStatus> {
    await this.#kernel.write(actor, async (unit) => {
      await unit.q.scheduler.set({
        paused: 1,
        paused_by: `${actor.actor.kind}:${actor.actor.ref}`,
        paused_at: unit.now,
        paused_reason: reason?.trim() || null,
        updated_at: unit.now,
      });
    });
    this.#kernel.logger.info({ reason, by: actor.actor }, 'scheduler paused: no new claims');
    return this.status();
  }

  async resume(actor: Actor): Promise<SchedulerStatus> {
    await this.#kernel.write(actor, async (unit) => {
      await unit.q.scheduler.set({
        paused: 0,
        paused_by: null,
        paused_at: null,
        paused_reason: null,
        updated_at: unit.now,
      });
    });
    this.#kernel.logger.info({ by: actor.actor }, 'scheduler resumed');
    this.#onResume();
    return this.status();
  }

  /**
   * Pauses, then waits (bounded) until no run is claimed, starting or running. Waits on run events,
   * not on a timer loop; the scheduler stays paused afterwards.
   */
  async drain(
    input: { reason?: string | undefined; timeout_seconds?: number | null | undefined },
    actor: Actor,
  ) {
    const timeout = input.timeout_seconds ?? 60;
    if (!Number.isFinite(timeout) || timeout < 0 || timeout > MAX_DRAIN_SECONDS) {
      throw new AppError(
        'task_invalid',
        `timeout_seconds must be between 0 and ${MAX_DRAIN_SECONDS} (an hour), got ${timeout}`,
      );
    }
    const startedAt = this.#kernel.now();
    await this.pause(input.reason?.trim() || 'scheduler drain', actor);
    let status = await this.status();
    if (status.active_claim_count > 0 && timeout > 0) {
      await new Promise<void>((resolve) => {
        // An event that arrives while a check reads the store may come from a write that read
        // missed: the check then runs once more instead of dropping it.
        let checking = false;
        let again = false;
        const check = async () => {
          if (checking) {
            again = true;
            return;
          }
          checking = true;
          try {
            do {
              again = false;
              status = await this.status();
              if (status.active_claim_count === 0) {
                done();
                return;
              }
            } while (again);
          } finally {
            checking = false;
          }
        };
        const unsubscribe = this.#kernel.bus.subscribe((event) => {
          if (event.run_id) void check();
        });
        const timer = setTimeout(done, timeout * 1000);
        function done() {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
        void check();
      });
      status = await this.status();
    }
    const completed = status.active_claim_count === 0;
    return {
      scheduler: status,
      completed,
      ...(!completed && { timed_out: true }),
      remaining_claims: status.active_claim_count,
      started_at: startedAt,
      completed_at: this.#kernel.now(),
    };
  }

  /** Requeues up to one batch of expired leases; returns how many. Runs even while paused. */
  async sweep(reason: LeaseExpiryReason = 'scheduler_sweep'): Promise<number> {
    return this.#kernel.write(daemonActor('scheduler'), async (unit) => {
      const expired = await unit.q.runs.expiredLeases(unit.now, LIMITS.sweepBatch);
      for (const run of expired) await this.#expire(unit, run, reason);
      return expired.length;
    });
  }

  /**
   * Boot recovery (before claims are served): expired leases are swept, then every run this daemon's
   * sessions held is settled by whether that session survived.
   */
  async recoverAtBoot(sessions: SessionLiveness): Promise<void> {
    while ((await this.sweep('orphaned_on_boot')) === LIMITS.sweepBatch);
    const active = await this.#kernel.read.runs.active();
    for (const run of active) {
      if (!run.session_id || !(await sessions.ownedHere(run.session_id))) continue;
      const live = sessions.liveHere(run.session_id);
      await this.#kernel.write(daemonActor('recovery'), async (unit) => {
        const current = await unit.q.runs.get(run.id, true);
        if (!current || !isActiveRun(current.status) || current.session_id !== run.session_id) return;
        await this.#recoverRun(unit, current, live);
      });
    }
  }

  async #recoverRun(unit: Unit, run: RunRecord, live: boolean): Promise<void> {
    // A surviving session keeps its run (and a running one needs nothing); a claim whose session
    // died goes back to the queue; work that had begun cannot be resumed by anyone else, so it fails.
    if (live && run.status === 'running') return;
    const [name, action] = live
      ? (['boot_resume', 'resume'] as const)
      : run.status === 'claimed'
        ? (['boot_requeue', 'requeue'] as const)
        : (['boot_fail', 'fail'] as const);
    await tryTransition(unit, run, name, {
      session: run.session_id,
      ...(name === 'boot_fail' && {
        set: { error: `orphaned on boot: session ${run.session_id} ended with the daemon` },
      }),
      payload: {
        action,
        reason: 'daemon_restart',
        session_id: run.session_id,
        session_state: live ? 'active' : 'stopped',
        classification: live ? 'live_session' : 'orphaned',
        detail: live ? 'the session survived the restart' : 'the session ended with the daemon',
      },
    });
  }

  async #expire(unit: Unit, run: RunRecord, reason: LeaseExpiryReason): Promise<void> {
    await tryTransition(unit, run, 'lease_expired', {
      payload: {
        reason,
        session_id: run.session_id,
        lease_until: run.lease_until,
        previous_claim_token_hash: run.claim_token_hash,
        coordination_channel_id: run.coordination_channel_id,
      },
    });
  }

  /**
   * One step of the starvation ladder: each claimable run queued longer than the threshold, in a
   * scope where nothing is being worked on, counts a cycle; at 6 it is reported starved, at 10 it
   * needs attention (only `POST /api/runs/{id}/recover` gets it out). A busy scope is a queue that
   * moves, so its waiting runs are not starving.
   */
  async escalate(): Promise<void> {
    if ((await this.#kernel.read.scheduler.get()).paused) return;
    await this.#kernel.write(daemonActor('scheduler'), async (unit) => {
      const before = new Date(Date.parse(unit.now) - this.#settings.starvationAfterMs).toISOString();
      const starving = await unit.q.runs.starving(before);
      for (const run of starving) {
        const count = run.wake_count + 1;
        await unit.q.runs.bumpWake(run.id);
        const queuedAge = Date.parse(unit.now) - Date.parse(run.queued_at);
        if (count >= this.#settings.starvationCycles) {
          const error = `run queued ${Math.round(queuedAge / 1000)}s without a claim after ${count} escalation cycles`;
          await tryTransition(unit, run, 'starve', {
            set: { error },
            payload: { diagnostic: error, queued_at: run.queued_at },
          });
        } else if (count >= STARVED_EVENT_CYCLES && run.wake_tier < 3) {
          await unit.q.runs.update(run.id, { wake_tier: 3 });
          unit.emit(
            run.task_id,
            'task.run_starved',
            { queued_at: run.queued_at, queued_age_ms: queuedAge },
            run.id,
          );
        }
      }
    });
  }
}
