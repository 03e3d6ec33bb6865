// Putting a run on the queue: the one place that checks the open-run rule and the
// lifetime attempt budget, and binds idempotency keys, whichever operation enqueues.
import { AppError } from '../lib/errors.ts';
import { newPrefixedId } from '../lib/ids.ts';
import { nextAttempt } from './derive.ts';
import { type RunRecord, type TaskRecord, toJson } from './records.ts';
import { PRIORITY_WEIGHT } from './types.ts';
import type { Unit } from './unit.ts';

export interface EnqueueOptions {
  idempotencyKey?: string | undefined;
  networkChannel?: string | null | undefined;
  metadata?: unknown;
  previousRunId?: string;
  /** Retry and recover write their own event instead of task.run_enqueued. */
  silent?: boolean;
}

/** The run a key already produced for this origin, if any; a key bound to another task is refused. */
export async function findReplay(
  unit: Unit,
  key: string | undefined,
  taskId: string,
): Promise<RunRecord | undefined> {
  if (!key) return undefined;
  const bound = await unit.q.runs.idempotent(key, unit.actor.origin);
  if (!bound) return undefined;
  if (bound.task_id !== taskId) {
    throw new AppError(
      'idempotency_key_conflict',
      `idempotency_key "${key}" already belongs to task "${bound.task_id}"; use a new key for task "${taskId}"`,
    );
  }
  return unit.q.runs.get(bound.run_id);
}

export async function enqueueRun(
  unit: Unit,
  task: TaskRecord,
  options: EnqueueOptions = {},
): Promise<{ run: RunRecord; replayed: boolean }> {
  const replay = await findReplay(unit, options.idempotencyKey, task.id);
  if (replay) return { run: replay, replayed: true };
  if (task.status === 'draft' || task.status === 'canceled') {
    throw new AppError(
      'task_transition_invalid',
      `task "${task.id}" is ${task.status}; ${task.status === 'draft' ? 'publish it first' : 'a canceled task takes no more runs'}`,
      task.status === 'draft' ? { suggestedCommand: `agh task publish ${task.id}` } : {},
    );
  }
  const open = await unit.q.runs.openRunOf(task.id);
  if (open) {
    throw new AppError('task_has_open_run', `task "${task.id}" has open run "${open.id}" (${open.status})`, {
      evidence: { run_id: open.id, status: open.status },
    });
  }
  const runs = await unit.q.runs.ofTask(task.id);
  const attempt = nextAttempt(runs);
  if (attempt > task.max_attempts) {
    throw new AppError(
      'task_attempts_exhausted',
      `task "${task.id}" exhausted max_attempts=${task.max_attempts}; raise max_attempts to run it again`,
      { evidence: { max_attempts: task.max_attempts, attempts: attempt - 1 } },
    );
  }
  const id = newPrefixedId('run');
  const channel = options.networkChannel ?? task.network_channel;
  const coordination = task.scope === 'workspace' ? (channel ?? coordinationChannelFor(id)) : null;
  await unit.q.runs.insert({
    id,
    task_id: task.id,
    status: 'queued',
    attempt,
    priority_weight: PRIORITY_WEIGHT[task.priority],
    previous_run_id: options.previousRunId ?? null,
    failure_kind: null,
    claimed_by_kind: null,
    claimed_by_ref: null,
    session_id: null,
    origin_kind: unit.actor.origin.kind,
    origin_ref: unit.actor.origin.ref,
    idempotency_key: options.idempotencyKey ?? null,
    network_channel: channel,
    claim_token_hash: null,
    lease_until: null,
    heartbeat_at: null,
    coordination_channel_id: coordination,
    queued_at: unit.now,
    claimed_at: null,
    started_at: null,
    ended_at: null,
    error: null,
    metadata: toJson(options.metadata),
    result: null,
  });
  if (options.idempotencyKey) {
    await unit.q.runs.saveIdempotency({
      key: options.idempotencyKey,
      origin_kind: unit.actor.origin.kind,
      origin_ref: unit.actor.origin.ref,
      task_id: task.id,
      run_id: id,
      created_at: unit.now,
    });
  }
  const taskStatus = await unit.reconcile(task.id);
  if (!options.silent) {
    unit.emit(
      task.id,
      'task.run_enqueued',
      {
        attempt,
        status: 'queued',
        task_status: taskStatus,
        network_channel: channel,
        coordination_channel_id: coordination,
        idempotency_key: options.idempotencyKey,
      },
      id,
    );
  }
  const run = await unit.q.runs.get(id);
  return { run: run!, replayed: false };
}

/** `coord-<run id>`, lowercased to [a-z0-9_-] and at most 58 characters. */
export function coordinationChannelFor(runId: string): string {
  return `coord-${runId.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 58);
}
