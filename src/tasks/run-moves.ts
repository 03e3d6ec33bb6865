// Every legal move of a run, as data: the statuses it leaves, the status it reaches, the event it
// appends, the fence that must hold for the write to apply, and the fields it sets or clears.
// `transition()` (run-machine.ts) is the only writer of run statuses and reads nothing else; a move
// missing here cannot happen.
import type { Updateable } from 'kysely';
import type { TaskEventType } from '../contract/task-events.ts';
import { AppError } from '../lib/errors.ts';
import type { TaskRunTable } from '../store/schema.ts';
import type { RunRecord } from './records.ts';
import { isTerminalRun, type RunStatus } from './types.ts';

export type RunPatch = Updateable<TaskRunTable>;

/**
 * What must still hold when the write lands. Every move also compares-and-swaps the status it read,
 * so two writers racing on one run never both win.
 *
 * - `none`: nothing more; operator overrides and the daemon's own bookkeeping.
 * - `claim`: the run still carries the claim it was read with, so a late release or sweep never
 *   takes back a run someone has claimed since.
 * - `holder`: as `claim`, and the acting session holds that claim with a lease that has not run
 *   out: a stale holder never overwrites a newer lease.
 * - `expired`: as `claim`, and the lease has run out; only then may the queue take the run back.
 * - `unleased`: the run was never leased; work leased through claim-next is finished by its holder
 *   alone, never by a human.
 * - `session`: the run is still bound to the session the caller settled it by.
 */
export type Fence = 'none' | 'claim' | 'holder' | 'expired' | 'unleased' | 'session';

export interface RunMove {
  from: readonly RunStatus[];
  /** Absent: the status stays (the write only renews a lease). */
  to?: RunStatus;
  /** Its payload is the standard keys transition() adds, and what the caller knows (MovePayload). */
  event: TaskEventType;
  fence: Fence;
  /** The event says what the run was (`previous_status`). */
  previous?: boolean;
  /** An override: the event names who overrode (`manual`, `actor_kind`, `actor_id`). */
  operator?: boolean;
  /** The fields the move always sets or clears; callers add only the values they alone know. */
  set?: (now: string, run: RunRecord) => RunPatch;
  /** The refusal when the run is in none of `from` (default: "cannot transition from … to …"). */
  refuse?: (run: RunRecord) => AppError;
  /** The refusal when the run changed between the read and the write. */
  lost?: (run: RunRecord) => AppError;
}

/** Every run is born queued (enqueue, retry, recover); the moves take it from there. */
export const NEW_RUN_STATUS: RunStatus = 'queued';

/** Back in the queue: the same run and attempt, every trace of the old owner gone. */
export const REQUEUE = {
  claimed_by_kind: null,
  claimed_by_ref: null,
  session_id: null,
  claim_token_hash: null,
  lease_until: null,
  heartbeat_at: null,
  claimed_at: null,
  started_at: null,
  ended_at: null,
  error: null,
  result: null,
  // A fresh wait: the starvation ladder counts from here.
  wake_count: 0,
  wake_tier: 0,
} as const satisfies RunPatch;

/** A finished run holds no lease; its claim hash stays as fencing history unless a move clears it. */
const ended = (now: string) => ({ ended_at: now, lease_until: null, heartbeat_at: null });

const ACTIVE = ['claimed', 'starting', 'running'] as const;

export const RUN_MOVES = {
  // ---- taking work
  claim: {
    from: ['queued'],
    to: 'claimed',
    event: 'task.run_claimed',
    fence: 'none',
    set: (now) => ({
      claimed_at: now,
      started_at: null,
      ended_at: null,
      error: null,
      result: null,
      wake_count: 0,
      wake_tier: 0,
    }),
  },
  start: { from: ['claimed'], to: 'starting', event: 'task.run_starting', fence: 'none' },
  attach_session: {
    from: ['claimed', 'starting'],
    to: 'starting',
    event: 'task.run_session_bound',
    fence: 'none',
    refuse: (run) =>
      new AppError(
        'task_transition_invalid',
        `session attach not allowed: task run "${run.id}" is ${run.status}`,
      ),
  },
  session_started: {
    from: ['starting'],
    to: 'running',
    event: 'task.run_started',
    fence: 'none',
    set: (now) => ({ started_at: now }),
  },

  // ---- the lease holder (claim-next), token-fenced
  holder_start: {
    from: ['claimed'],
    to: 'running',
    event: 'task.run_started',
    fence: 'holder',
    set: (now) => ({ started_at: now }),
  },
  heartbeat: {
    from: ACTIVE,
    event: 'task.run_lease_extended',
    fence: 'holder',
    set: (now) => ({ heartbeat_at: now }),
  },
  holder_complete: {
    from: ACTIVE,
    to: 'completed',
    event: 'task.run_completed',
    fence: 'holder',
    set: (now) => ({ ...ended(now), error: null }),
  },
  holder_fail: {
    from: ACTIVE,
    to: 'failed',
    event: 'task.run_failed',
    fence: 'holder',
    set: (now) => ({ ...ended(now), result: null }),
  },
  holder_release: {
    from: ACTIVE,
    to: 'queued',
    event: 'task.run_released',
    fence: 'holder',
    previous: true,
    set: () => REQUEUE,
  },

  // ---- the daemon taking runs back
  session_ended: {
    // Runs the daemon drives are settled by their turn; only claims wait for a holder that is gone.
    from: ['claimed'],
    to: 'queued',
    event: 'task.run_released',
    fence: 'claim',
    previous: true,
    set: () => REQUEUE,
  },
  lease_expired: {
    from: ACTIVE,
    to: 'queued',
    event: 'task.run_lease_expired',
    fence: 'expired',
    previous: true,
    set: () => REQUEUE,
  },
  starve: {
    from: ['queued'],
    to: 'needs_attention',
    event: 'task.run_needs_attention',
    fence: 'none',
    previous: true,
    set: () => ({ wake_count: 0, wake_tier: 0 }),
  },
  boot_resume: {
    from: ['claimed', 'starting'],
    to: 'running',
    event: 'task.run_recovered',
    fence: 'session',
    previous: true,
    set: (now, run) => ({ started_at: run.started_at ?? now }),
  },
  boot_requeue: {
    from: ['claimed'],
    to: 'queued',
    event: 'task.run_recovered',
    fence: 'session',
    previous: true,
    set: () => REQUEUE,
  },
  boot_fail: {
    from: ['starting', 'running'],
    to: 'failed',
    event: 'task.run_recovered',
    fence: 'session',
    previous: true,
    set: ended,
  },

  // ---- the operator
  operator_complete: {
    from: ['running'],
    to: 'completed',
    event: 'task.run_completed',
    fence: 'unleased',
    set: (now) => ({ ...ended(now), error: null }),
  },
  operator_fail: {
    from: ['starting', 'running'],
    to: 'failed',
    event: 'task.run_failed',
    fence: 'unleased',
    set: (now) => ({ ...ended(now), result: null }),
  },
  cancel: {
    // Works on leased runs too: canceling is a human override.
    from: ['queued', ...ACTIVE],
    to: 'canceled',
    event: 'task.run_canceled',
    fence: 'none',
    set: (now) => ({ ...ended(now), error: null }),
    refuse: (run) =>
      run.status === 'needs_attention'
        ? new AppError(
            'task_transition_invalid',
            `task run "${run.id}" needs attention; recover it instead`,
            {
              suggestedCommand: `agh run recover ${run.id}`,
            },
          )
        : cannotMove(run, 'canceled'),
    lost: (run) =>
      new AppError('task_transition_invalid', `task run "${run.id}" changed while canceling; retry`),
  },
  force_release: {
    from: ['claimed'],
    to: 'queued',
    event: 'task.run_released',
    fence: 'claim',
    previous: true,
    operator: true,
    set: () => ({ ...REQUEUE, failure_kind: null }),
    refuse: (run) =>
      new AppError(
        'task_run_not_releasable',
        `task run "${run.id}" is ${run.status}; only claimed runs can be released`,
      ),
  },
  force_fail: {
    from: ['queued', 'claimed'],
    to: 'failed',
    event: 'task.run_operator_forced_fail',
    fence: 'none',
    previous: true,
    operator: true,
    set: (now) => ({ ...ended(now), failure_kind: 'operator_forced', claim_token_hash: null }),
    refuse: (run) =>
      isTerminalRun(run.status)
        ? new AppError('task_run_already_terminal', `task run "${run.id}" is already ${run.status}`)
        : new AppError(
            'task_run_still_active',
            `task run "${run.id}" is ${run.status}; force-fail takes queued or claimed runs (cancel it instead)`,
            {
              suggestedCommand:
                run.status === 'needs_attention' ? `agh run recover ${run.id}` : `agh run cancel ${run.id}`,
            },
          ),
  },
  recover_from_attention: {
    from: ['needs_attention'],
    to: 'failed',
    event: 'task.run_recovered_from_attention',
    fence: 'none',
    previous: true,
    operator: true,
    set: (now) => ({ ...ended(now), failure_kind: 'operator_forced' }),
    refuse: (run) =>
      new AppError(
        'task_run_not_recoverable',
        `task run "${run.id}" is ${run.status}; only runs that need attention are recovered`,
      ),
  },
} as const satisfies Record<string, RunMove>;

export type MoveName = keyof typeof RUN_MOVES;
/** The event move `N` appends (one type for each move; several moves may share one). */
export type MoveEvent<N extends MoveName> = (typeof RUN_MOVES)[N]['event'];

export function cannotMove(run: RunRecord, to: string): AppError {
  return new AppError(
    'task_transition_invalid',
    `task run "${run.id}" cannot transition from "${run.status}" to "${to}"`,
  );
}
