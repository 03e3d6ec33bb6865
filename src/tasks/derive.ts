// Task status is a pure function of the persisted status, the dependency and approval gates, the
// attempt budget and the runs. It is recomputed on every write that can change any
// of those inputs; nothing else ever sets it.
import type { RunStatus, TaskStatus } from './types.ts';

export interface DerivationRun {
  id: string;
  status: RunStatus;
  attempt: number;
  queued_at: string;
}

export interface DerivationInput {
  persisted: TaskStatus;
  /** A `blocks` dependency is not completed. */
  dependenciesUnresolved: boolean;
  /** Manual approval is required and not granted. */
  approvalPending: boolean;
  maxAttempts: number;
  runs: readonly DerivationRun[];
}

export function deriveTaskStatus(input: DerivationInput): TaskStatus {
  const { persisted, runs } = input;
  if (persisted === 'canceled' || persisted === 'draft') return persisted;
  const gated: TaskStatus = input.dependenciesUnresolved || input.approvalPending ? 'blocked' : 'ready';
  if (runs.some((r) => r.status === 'starting' || r.status === 'running')) return 'in_progress';
  if (runs.some((r) => r.status === 'queued' || r.status === 'claimed')) return gated;
  const latest = latestTerminalRun(runs);
  if (latest) {
    if (latest.status === 'completed') return 'completed';
    if (latest.status === 'canceled') return 'canceled';
    return attemptsExhausted(runs, input.maxAttempts) ? 'failed' : gated;
  }
  if (persisted === 'completed' || persisted === 'failed') return persisted;
  return gated;
}

/** The next attempt would exceed the budget; every run the task ever had counts. */
export function attemptsExhausted(runs: readonly { attempt: number }[], maxAttempts: number): boolean {
  return nextAttempt(runs) > maxAttempts;
}

export function nextAttempt(runs: readonly { attempt: number }[]): number {
  return runs.reduce((max, r) => Math.max(max, r.attempt), 0) + 1;
}

/** Highest attempt, then the later queued_at, then the larger id. */
function latestTerminalRun(runs: readonly DerivationRun[]): DerivationRun | undefined {
  let best: DerivationRun | undefined;
  for (const run of runs) {
    if (run.status !== 'completed' && run.status !== 'failed' && run.status !== 'canceled') continue;
    if (!best || compareRuns(run, best) > 0) best = run;
  }
  return best;
}

function compareRuns(a: DerivationRun, b: DerivationRun): number {
  if (a.attempt !== b.attempt) return a.attempt - b.attempt;
  if (a.queued_at !== b.queued_at) return a.queued_at < b.queued_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
