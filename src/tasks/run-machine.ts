// The one way a run changes: `transition()` looks the move up in the table (run-moves.ts), checks its
// fence and its source status, writes with a compare-and-swap, re-derives the task's status and
// appends the move's event with the standard keys. Leases, operator paths, the scheduler, boot
// recovery and the dispatcher all go through it.
import type { TaskEventPayload } from '../contract/task-events.ts';
import { AppError } from '../lib/errors.ts';
import type { RunRecord } from './records.ts';
import {
  cannotMove,
  type Fence,
  type MoveEvent,
  type MoveName,
  RUN_MOVES,
  type RunMove,
  type RunPatch,
} from './run-moves.ts';
import type { TaskStatus } from './types.ts';
import type { Unit } from './unit.ts';

/** The keys transition() itself writes on a move's event. */
type StandardKey = 'previous_status' | 'status' | 'task_status' | 'manual' | 'actor_kind' | 'actor_id';

/**
 * The keys a caller adds to the event of move `N`: the rest of that event's schema, each checked by
 * name and value type (an unknown key or a wrong value does not compile). None is required here,
 * though: a move's continuation (`then`) supplies some of them, and saying exactly which part each
 * side supplies would take a type parameter per call for the one move that has a continuation.
 * That every event carries the keys its schema requires is what test/tasks/event-catalogue.test.ts
 * checks, on every event its scenarios write. Null and undefined are allowed: emit drops them.
 */
export type MovePayload<N extends MoveName> = N extends MoveName
  ? {
      [K in Exclude<keyof TaskEventPayload<MoveEvent<N>>, StandardKey>]?:
        TaskEventPayload<MoveEvent<N>>[K] | null;
    }
  : never;

export interface MoveInput<N extends MoveName = MoveName> {
  /** The acting session, for the fences that name one (`holder`, `session`). */
  session?: string | null | undefined;
  /** Values only the caller knows: the new lease, a result, an error, a session to bind. */
  set?: RunPatch;
  /** Event keys beyond the standard `previous_status`, `status` and `task_status`. */
  payload?: MovePayload<N>;
  /**
   * Work that belongs to the move, done after the write and before the event: a successor run that
   * continues this one. Its event then goes on the run returned, with the task status after it.
   */
  then?: () => Promise<{ runId: string; payload?: MovePayload<N> }>;
}

/** Refuses (throws) unless `name` may move `run` now: the fence first, then the source status. */
export function assertMove(run: RunRecord, name: MoveName, now: string, input: MoveInput = {}): void {
  const move: RunMove = RUN_MOVES[name];
  const broken = fenceBroken(move.fence, run, now, input.session);
  if (broken) throw broken;
  if (!move.from.includes(run.status)) {
    throw move.refuse?.(run) ?? cannotMove(run, move.to ?? name);
  }
}

/** Moves `run` (as read in this unit) or throws; returns the task's status afterwards. */
export async function transition<N extends MoveName>(
  unit: Unit,
  run: RunRecord,
  name: N,
  input: MoveInput<N> = {},
): Promise<TaskStatus> {
  assertMove(run, name, unit.now, input);
  const status = await write(unit, run, name, input);
  if (status === undefined) {
    const move: RunMove = RUN_MOVES[name];
    throw move.lost?.(run) ?? lostError(move.fence, run);
  }
  return status;
}

/**
 * For the daemon's sweeps over runs it has just selected: moves `run` if the move still applies,
 * and otherwise leaves it to whoever got there first (returns undefined, writes nothing).
 */
export async function tryTransition<N extends MoveName>(
  unit: Unit,
  run: RunRecord,
  name: N,
  input: MoveInput<N> = {},
): Promise<TaskStatus | undefined> {
  try {
    assertMove(run, name, unit.now, input);
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
  return write(unit, run, name, input);
}

async function write<N extends MoveName>(
  unit: Unit,
  run: RunRecord,
  name: N,
  input: MoveInput<N>,
): Promise<TaskStatus | undefined> {
  const move: RunMove = RUN_MOVES[name];
  const to = move.to ?? run.status;
  const ok = await unit.q.runs.update(
    run.id,
    { ...move.set?.(unit.now, run), ...input.set, status: to },
    {
      status: run.status,
      // Fenced moves also compare the claim they read (null for a run never leased).
      ...(move.fence !== 'none' && { claimHash: run.claim_token_hash }),
      ...(move.fence === 'session' && { sessionId: run.session_id }),
    },
  );
  if (!ok) return undefined;
  // Only a status change can change the derived task status; renewing a lease reads it instead.
  let taskStatus =
    to === run.status ? (await unit.task(run.task_id)).status : await unit.reconcile(run.task_id);
  let eventRun = run.id;
  let extra: MovePayload<N> | undefined;
  if (input.then) {
    const next = await input.then();
    eventRun = next.runId;
    extra = next.payload;
    taskStatus = (await unit.task(run.task_id)).status;
  }
  const event: MoveEvent<N> = RUN_MOVES[name].event;
  // The caller's keys are typed by MovePayload<N>; the standard keys are the same for every move, so
  // TypeScript cannot tie them to one event's schema: the catalogue test checks that each move's
  // event has them as the table says (previous_status where `previous`, the operator's keys where
  // `operator`), and that every event written parses.
  const payload = {
    ...(move.operator && {
      manual: true,
      actor_kind: unit.actor.actor.kind,
      actor_id: unit.actor.actor.ref,
    }),
    ...(move.previous && { previous_status: run.status }),
    status: to,
    task_status: taskStatus,
    ...input.payload,
    ...extra,
  } as TaskEventPayload<MoveEvent<N>>;
  unit.emit(run.task_id, event, payload, eventRun);
  return taskStatus;
}

function fenceBroken(
  fence: Fence,
  run: RunRecord,
  now: string,
  session: string | null | undefined,
): AppError | undefined {
  switch (fence) {
    case 'holder':
      if (
        run.claim_token_hash === null ||
        run.session_id === null ||
        run.session_id !== session ||
        run.lease_until === null ||
        run.lease_until <= now
      ) {
        return new AppError(
          'claim_token_invalid',
          `invalid claim token: session "${session ?? '(none)'}" holds no live lease on run "${run.id}"`,
        );
      }
      return undefined;
    case 'expired':
      if (run.lease_until === null || run.lease_until > now) {
        return new AppError('task_transition_invalid', `the lease on task run "${run.id}" has not run out`);
      }
      return undefined;
    case 'unleased':
      if (run.claim_token_hash === null) return undefined;
      return new AppError(
        'requires_token_fenced_completion',
        `task run "${run.id}" was leased by a session; it requires token-fenced completion by its holder (cancel or force it instead)`,
      );
    case 'session':
      if (run.session_id !== null && run.session_id === session) return undefined;
      return new AppError(
        'task_transition_invalid',
        `task run "${run.id}" is not bound to session "${session ?? '(none)'}"`,
      );
    case 'claim':
    case 'none':
      return undefined;
  }
}

function lostError(fence: Fence, run: RunRecord): AppError {
  if (fence === 'claim' || fence === 'holder' || fence === 'expired') {
    return new AppError(
      'claim_token_invalid',
      `invalid claim token: run "${run.id}" was claimed again or changed`,
    );
  }
  return new AppError(
    'task_transition_invalid',
    `task run "${run.id}" changed while it was being moved from "${run.status}"; retry`,
  );
}
