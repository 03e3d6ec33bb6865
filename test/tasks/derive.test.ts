// The derived task status, case by case (tasks.md §2.1 and "Hard parts" 1 and 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DerivationInput, type DerivationRun, deriveTaskStatus } from '../../src/tasks/derive.ts';
import type { RunStatus, TaskStatus } from '../../src/tasks/types.ts';

let n = 0;
const run = (status: RunStatus, attempt = 1, queued_at = '2026-01-01T00:00:00.000Z'): DerivationRun => ({
  id: `run-${String(++n).padStart(4, '0')}`,
  status,
  attempt,
  queued_at,
});

const base: DerivationInput = {
  persisted: 'ready',
  dependenciesUnresolved: false,
  approvalPending: false,
  maxAttempts: 3,
  runs: [],
};

const cases: [string, Partial<DerivationInput>, TaskStatus][] = [
  ['a new task with no runs is ready', {}, 'ready'],
  [
    'canceled is sticky even with a running run',
    { persisted: 'canceled', runs: [run('running')] },
    'canceled',
  ],
  ['draft is sticky even with a queued run', { persisted: 'draft', runs: [run('queued')] }, 'draft'],
  ['a starting run makes it in_progress', { runs: [run('starting')] }, 'in_progress'],
  [
    'a running run makes it in_progress even when gated',
    { approvalPending: true, runs: [run('running')] },
    'in_progress',
  ],
  ['a claimed run leaves it ready, not in_progress', { runs: [run('claimed')] }, 'ready'],
  ['a queued run leaves it ready', { runs: [run('queued')] }, 'ready'],
  [
    'a queued run of a task waiting for a dependency is blocked',
    { dependenciesUnresolved: true, runs: [run('queued')] },
    'blocked',
  ],
  [
    'a claimed run under a pending approval is blocked',
    { approvalPending: true, runs: [run('claimed')] },
    'blocked',
  ],
  ['no runs and an unresolved dependency: blocked', { dependenciesUnresolved: true }, 'blocked'],
  ['no runs and approval pending: blocked', { approvalPending: true }, 'blocked'],
  ['the latest run completed: completed', { runs: [run('failed', 1), run('completed', 2)] }, 'completed'],
  ['a failed run with budget left: ready again', { runs: [run('failed', 1)] }, 'ready'],
  [
    'a failed run with budget left but a dependency open: blocked',
    { dependenciesUnresolved: true, runs: [run('failed', 1)] },
    'blocked',
  ],
  [
    'a failed run that used the last attempt: failed',
    { runs: [run('failed', 1), run('failed', 2), run('failed', 3)] },
    'failed',
  ],
  [
    'completed runs use the budget too: a failed third attempt fails the task',
    { runs: [run('completed', 1), run('completed', 2), run('failed', 3)] },
    'failed',
  ],
  ['max_attempts 1 and one failure: failed', { maxAttempts: 1, runs: [run('failed', 1)] }, 'failed'],
  ['a canceled latest run cancels the task', { runs: [run('completed', 1), run('canceled', 2)] }, 'canceled'],
  [
    'latest is the highest attempt, not the last queued',
    { runs: [run('completed', 2, '2026-01-01T00:00:00.000Z'), run('failed', 1, '2026-01-02T00:00:00.000Z')] },
    'completed',
  ],
  [
    'equal attempts: the later queued_at wins',
    {
      runs: [run('completed', 1, '2026-01-01T00:00:00.000Z'), run('canceled', 1, '2026-01-02T00:00:00.000Z')],
    },
    'canceled',
  ],
  ['needs_attention runs are ignored', { runs: [run('needs_attention', 1)] }, 'ready'],
  [
    'needs_attention next to a completed run: completed',
    { runs: [run('completed', 1), run('needs_attention', 2)] },
    'completed',
  ],
  ['an open run outranks an earlier completion', { runs: [run('completed', 1), run('queued', 2)] }, 'ready'],
  ['persisted completed with no runs stays completed', { persisted: 'completed' }, 'completed'],
  ['persisted failed with no runs stays failed', { persisted: 'failed' }, 'failed'],
  ['pending (publishing) resolves to ready', { persisted: 'pending' }, 'ready'],
  [
    'pending with approval still required resolves to blocked',
    { persisted: 'pending', approvalPending: true },
    'blocked',
  ],
  [
    'persisted in_progress whose run was released: ready',
    { persisted: 'in_progress', runs: [run('queued')] },
    'ready',
  ],
];

for (const [name, input, expected] of cases) {
  test(`derived status: ${name}`, () => {
    assert.equal(deriveTaskStatus({ ...base, ...input }), expected);
  });
}

test('derived status: pending is never returned', () => {
  const statuses: RunStatus[] = [
    'queued',
    'claimed',
    'starting',
    'running',
    'completed',
    'failed',
    'canceled',
    'needs_attention',
  ];
  for (const persisted of ['pending', 'ready', 'blocked', 'in_progress'] as TaskStatus[]) {
    for (const s of statuses) {
      for (const gated of [false, true]) {
        const out = deriveTaskStatus({ ...base, persisted, approvalPending: gated, runs: [run(s)] });
        assert.notEqual(out, 'pending', `${persisted} + ${s}`);
      }
    }
  }
});
