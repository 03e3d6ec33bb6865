// The one completion path: a run ends with an outcome (completed with a result, or failed with an
// error) through `finish()`, whoever reports it: the lease holder, the operator, the dispatcher
// after an agent's turn, or a session that could not start.
import { AppError } from '../lib/errors.ts';
import { autoEnqueueDependents } from './auto-enqueue.ts';
import { toJson, type RunRecord } from './records.ts';
import type { MoveName } from './run-moves.ts';
import { transition } from './run-machine.ts';
import type { TaskStatus } from './types.ts';
import type { Unit } from './unit.ts';
import { checkMetadata, checkResult } from './validate.ts';

export type Outcome =
  { status: 'completed'; result?: unknown } | { status: 'failed'; error: string; metadata?: unknown };

/** Checks an outcome as a caller reports it, before anything is read or written; trims the error. */
export function checkOutcome(outcome: Outcome): Outcome {
  if (outcome.status === 'completed') {
    checkResult(outcome.result);
    return outcome;
  }
  const error = outcome.error.trim();
  if (error === '') throw new AppError('task_invalid', 'error must say what went wrong');
  checkMetadata(outcome.metadata);
  return { ...outcome, error };
}

/**
 * The move that ends a run: the holder's, when a session reports on its lease; otherwise the
 * operator's, which only runs never leased may take. Narrowed by the outcome, so that each branch of
 * finish() is typed by its own event's payload.
 */
export function finishMove(
  outcome: Extract<Outcome, { status: 'completed' }>,
  holder: string | undefined,
): 'holder_complete' | 'operator_complete';
export function finishMove(
  outcome: Extract<Outcome, { status: 'failed' }>,
  holder: string | undefined,
): 'holder_fail' | 'operator_fail';
export function finishMove(outcome: Outcome, holder: string | undefined): MoveName;
export function finishMove(outcome: Outcome, holder: string | undefined): MoveName {
  if (holder !== undefined) return outcome.status === 'completed' ? 'holder_complete' : 'holder_fail';
  return outcome.status === 'completed' ? 'operator_complete' : 'operator_fail';
}

/** Ends `run` (as read in this unit) with `outcome`; `holder` is the session reporting on its lease. */
export async function finish(
  unit: Unit,
  run: RunRecord,
  outcome: Outcome,
  holder?: string,
): Promise<TaskStatus> {
  const name = finishMove(outcome, holder);
  const status =
    outcome.status === 'completed'
      ? await transition(unit, run, finishMove(outcome, holder), {
          session: holder,
          set: { result: toJson(outcome.result) },
          payload: { result: outcome.result, claim_token_hash: run.claim_token_hash },
        })
      : await transition(unit, run, finishMove(outcome, holder), {
          session: holder,
          set: { error: outcome.error },
          payload: {
            error: outcome.error,
            metadata: outcome.metadata,
            claim_token_hash: run.claim_token_hash,
          },
        });
  if (name === 'holder_complete') {
    // Dependents that opted in get a run once leased work completes, each in a write of its own.
    const actor = { ...unit.actor, origin: { ...unit.actor.origin, ref: 'tasks.auto_enqueue' } };
    unit.afterCommit((kernel) => autoEnqueueDependents(kernel, run, actor));
  }
  return status;
}
