// The run state machine as data: the table allows exactly the documented moves, every status is
// reachable and every open one can end, and transition() refuses what the table and the fences
// refuse (with the codes the API answers), writing nothing then.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { AppError } from '../../src/lib/errors.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { openEventBus } from '../../src/store/event-bus.ts';
import { enqueueRun } from '../../src/tasks/enqueue.ts';
import { actorOf } from '../../src/principals/principal.ts';
import { daemonActor, sessionActor, TaskKernel } from '../../src/tasks/kernel.ts';
import { TaskLifecycle } from '../../src/tasks/lifecycle.ts';
import type { RunRecord } from '../../src/tasks/records.ts';
import { finish } from '../../src/tasks/run-finish.ts';
import { type MoveInput, transition, tryTransition } from '../../src/tasks/run-machine.ts';
import {
  type MoveName,
  NEW_RUN_STATUS,
  REQUEUE,
  RUN_MOVES,
  type RunMove,
} from '../../src/tasks/run-moves.ts';
import { TaskService } from '../../src/tasks/service.ts';
import { ACTIVE_RUN_STATUSES, isTerminalRun, RUN_STATUSES, type RunStatus } from '../../src/tasks/types.ts';

const operator = (action: string) => actorOf({ kind: 'operator' }, `tasks.${action}`);

const moves = Object.entries(RUN_MOVES) as [MoveName, RunMove][];
const pairs = (list: [MoveName, RunMove][]) =>
  new Set(list.flatMap(([, m]) => m.from.map((from) => `${from} -> ${m.to ?? from}`)));

describe('the run state machine: the table', () => {
  test('it allows exactly the documented moves, nothing more', () => {
    // The rule, as the kernel's design states it: who may move a run where.
    const documented = [
      'queued -> claimed', // claim-next, manual claim
      'queued -> canceled',
      'queued -> failed', // force-fail
      'queued -> needs_attention', // starvation
      'claimed -> starting', // manual start, attach a session
      'claimed -> queued', // release, expiry, force release, boot requeue, session gone
      'claimed -> running', // the holder starts working; boot recovery with a live session
      'claimed -> completed', // the lease holder only
      'claimed -> failed', // the lease holder, force-fail
      'claimed -> canceled',
      'starting -> running',
      'starting -> failed',
      'starting -> queued', // expiry, release
      'starting -> canceled',
      'starting -> completed', // the lease holder
      'running -> completed',
      'running -> failed',
      'running -> canceled',
      'running -> queued', // expiry, release
      'needs_attention -> failed', // recover (a fresh run follows)
      // Writes that keep the status: a heartbeat renews the lease, a session is bound.
      'claimed -> claimed',
      'starting -> starting',
      'running -> running',
    ];
    assert.deepEqual([...pairs(moves)].sort(), [...documented].sort());
  });

  test('each move appends the event the timeline has always shown for it, behind its fence', () => {
    // name: from → to, event, fence. A change here changes what clients see or who may write.
    const spec: Record<MoveName, string> = {
      claim: 'queued → claimed, task.run_claimed, none',
      start: 'claimed → starting, task.run_starting, none',
      attach_session: 'claimed|starting → starting, task.run_session_bound, none',
      session_started: 'starting → running, task.run_started, none',
      holder_start: 'claimed → running, task.run_started, holder',
      heartbeat: 'claimed|starting|running → (same), task.run_lease_extended, holder',
      holder_complete: 'claimed|starting|running → completed, task.run_completed, holder',
      holder_fail: 'claimed|starting|running → failed, task.run_failed, holder',
      holder_release: 'claimed|starting|running → queued, task.run_released, holder',
      session_ended: 'claimed → queued, task.run_released, claim',
      lease_expired: 'claimed|starting|running → queued, task.run_lease_expired, expired',
      starve: 'queued → needs_attention, task.run_needs_attention, none',
      boot_resume: 'claimed|starting → running, task.run_recovered, session',
      boot_requeue: 'claimed → queued, task.run_recovered, session',
      boot_fail: 'starting|running → failed, task.run_recovered, session',
      operator_complete: 'running → completed, task.run_completed, unleased',
      operator_fail: 'starting|running → failed, task.run_failed, unleased',
      cancel: 'queued|claimed|starting|running → canceled, task.run_canceled, none',
      force_release: 'claimed → queued, task.run_released, claim',
      force_fail: 'queued|claimed → failed, task.run_operator_forced_fail, none',
      recover_from_attention: 'needs_attention → failed, task.run_recovered_from_attention, none',
    };
    assert.deepEqual(
      Object.fromEntries(
        moves.map(([name, m]) => [name, `${m.from.join('|')} → ${m.to ?? '(same)'}, ${m.event}, ${m.fence}`]),
      ),
      spec,
    );
  });

  test('every status is reachable from a new run; every open one can end; finished runs never move', () => {
    const reached = new Set<RunStatus>([NEW_RUN_STATUS]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [, m] of moves) {
        if (m.to && m.from.some((f) => reached.has(f)) && !reached.has(m.to)) {
          reached.add(m.to);
          grew = true;
        }
      }
    }
    assert.deepEqual([...reached].sort(), [...RUN_STATUSES].sort());
    for (const status of RUN_STATUSES) {
      const leaving = moves.filter(([, m]) => m.from.includes(status));
      if (isTerminalRun(status)) assert.deepEqual(leaving, [], `${status} is final`);
      else
        assert.ok(
          leaving.some(([, m]) => m.to && isTerminalRun(m.to)),
          `${status} can end`,
        );
    }
  });

  test('a finished run holds no lease; a requeued run keeps no trace of its owner', () => {
    const now = '2026-03-01T12:00:00.000Z';
    const run = { started_at: null } as RunRecord;
    for (const [name, m] of moves) {
      const set = m.set?.(now, run) ?? {};
      if (m.to && isTerminalRun(m.to)) {
        assert.equal(set.ended_at, now, name);
        assert.equal(set.lease_until, null, name);
        assert.equal(set.heartbeat_at, null, name);
      }
      if (m.to === 'queued') {
        for (const [field, value] of Object.entries(REQUEUE))
          assert.equal(set[field as keyof typeof set], value, `${name}: ${field}`);
      }
    }
  });

  test('moves fenced on a lease start only where a lease can be held', () => {
    for (const [name, m] of moves) {
      if (m.fence !== 'holder' && m.fence !== 'expired') continue;
      assert.ok(
        m.from.every((f) => (ACTIVE_RUN_STATUSES as readonly string[]).includes(f)),
        name,
      );
    }
  });

  test('run statuses are written by transition() alone, and every move has a caller', () => {
    const root = join(import.meta.dirname, '../../src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ path: f, text: readFileSync(join(root, f), 'utf8') }));
    for (const { path, text } of files) {
      if (path.endsWith('run-machine.ts')) continue;
      for (const call of text.matchAll(/runs\.update\(([^;]*?)\);/gs)) {
        assert.doesNotMatch(call[1]!, /\bstatus\b/, `${path} writes a run status itself`);
      }
    }
    const callers = files
      .filter(({ path }) => !path.endsWith('run-moves.ts'))
      .map(({ text }) => text)
      .join('\n');
    for (const [name] of moves) assert.ok(callers.includes(`'${name}'`), `nothing makes the move ${name}`);
  });
});

describe('the run state machine: transition()', () => {
  let store: Store;
  let kernel: TaskKernel;
  let clock: ManualClock;
  let tasks: TaskService;
  let lifecycle: TaskLifecycle;
  before(async () => {
    store = await openStore({ location: ':memory:' });
    clock = new ManualClock('2026-03-01T12:00:00.000Z');
    kernel = new TaskKernel({
      store,
      clock,
      logger: pino({ level: 'silent' }),
      bus: await openEventBus(store),
    });
    tasks = new TaskService(kernel, {
      find: () => Promise.reject(new Error('global tasks only')),
    });
    lifecycle = new TaskLifecycle(kernel);
  });
  after(() => store.close());

  const queuedRun = async (): Promise<RunRecord> => {
    const task = await tasks.create({ scope: 'global', title: 'move me' }, operator('create'));
    return (await lifecycle.start(task.id, {}, operator('start'))).run;
  };
  const move = (run: RunRecord, name: MoveName, input: MoveInput = {}, actor = daemonActor('test')) =>
    kernel.write(actor, async (unit) => {
      await transition(unit, run, name, input);
      return unit.run(run.id);
    });
  const lease = (session: string, seconds = 300): MoveInput => ({
    set: {
      claimed_by_kind: 'agent_session',
      claimed_by_ref: session,
      session_id: session,
      claim_token_hash: `sha256:${session}`,
      lease_until: new Date(clock.now().getTime() + seconds * 1000).toISOString(),
      heartbeat_at: clock.now().toISOString(),
    },
  });
  const events = async (run: RunRecord) =>
    (await kernel.read.events.ofTask(run.task_id, 0, 1000)).filter((e) => e.run_id === run.id);
  const refused = async (promise: Promise<unknown>, code: string, message?: RegExp) =>
    assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.code, code, err.message);
      assert.equal(err.status, 409);
      if (message) assert.match(err.message, message);
      return true;
    });

  test('a move writes its fields, re-derives the task and appends its event with the standard keys', async () => {
    const queued = await queuedRun();
    const claimed = await move(queued, 'claim', lease('sess-a'));
    assert.equal(claimed.status, 'claimed');
    assert.equal(claimed.claimed_at, clock.now().toISOString());
    assert.equal((await kernel.read.tasks.get(queued.task_id))?.status, 'ready', 'a claim leaves it ready');
    const running = await move(claimed, 'holder_start', { session: 'sess-a' });
    assert.equal(running.started_at, clock.now().toISOString());
    assert.equal((await kernel.read.tasks.get(queued.task_id))?.status, 'in_progress');
    const released = await move(running, 'holder_release', { session: 'sess-a', payload: { reason: 'r' } });
    assert.equal(released.status, 'queued');
    assert.equal(released.session_id, null);
    assert.equal(released.claim_token_hash, null);
    assert.equal(released.started_at, null);
    const log = await events(queued);
    assert.deepEqual(
      log.map((e) => [e.type, e.payload.previous_status, e.payload.status, e.payload.task_status]),
      [
        ['task.run_enqueued', undefined, 'queued', 'ready'],
        ['task.run_claimed', undefined, 'claimed', 'ready'],
        ['task.run_started', undefined, 'running', 'in_progress'],
        ['task.run_released', 'running', 'queued', 'ready'],
      ],
    );
    assert.equal(log.at(-1)!.payload.reason, 'r');
  });

  test('a move from the wrong status is refused with the code the API answers, and writes nothing', async () => {
    const run = await queuedRun();
    const before = await events(run);
    await refused(
      move(run, 'operator_complete'),
      'task_transition_invalid',
      /task run "run-\w+" cannot transition from "queued" to "completed"/,
    );
    await refused(move(run, 'force_release'), 'task_run_not_releasable', /only claimed runs/);
    await refused(move(run, 'recover_from_attention'), 'task_run_not_recoverable');
    const stuck = await move(run, 'starve', { set: { error: 'nobody came' } });
    await refused(move(stuck, 'cancel'), 'task_transition_invalid', /needs attention; recover it instead/);
    await refused(move(stuck, 'force_fail'), 'task_run_still_active');
    const other = await move(await queuedRun(), 'cancel');
    await refused(move(other, 'force_fail'), 'task_run_already_terminal');
    await refused(move(other, 'claim'), 'task_transition_invalid', /from "canceled" to "claimed"/);
    assert.equal((await events(run)).length, before.length + 1, 'only the starvation was written');
  });

  test('fences: a stale holder never overwrites a newer lease, an expired one writes nothing', async () => {
    const first = await move(await queuedRun(), 'claim', lease('sess-a'));
    const requeued = await move(first, 'holder_release', { session: 'sess-a' });
    const second = await move(requeued, 'claim', lease('sess-b'));
    // `first` is what the old holder last read: its claim is gone, so its write cannot land.
    await refused(
      move(first, 'holder_complete', { session: 'sess-a' }),
      'claim_token_invalid',
      /claimed again or changed/,
    );
    assert.equal(
      await kernel.write(daemonActor('test'), (unit) => tryTransition(unit, first, 'session_ended')),
      undefined,
    );
    await refused(move(second, 'heartbeat', { session: 'sess-a' }), 'claim_token_invalid');
    await refused(move(second, 'operator_fail', { set: { error: 'x' } }), 'requires_token_fenced_completion');
    assert.equal(
      await kernel.write(daemonActor('test'), (unit) => tryTransition(unit, second, 'lease_expired')),
      undefined,
      'a live lease is not swept',
    );
    clock.advance(300_000);
    await refused(move(second, 'holder_complete', { session: 'sess-b' }), 'claim_token_invalid');
    const swept = await move(second, 'lease_expired');
    assert.equal(swept.status, 'queued');
    assert.equal(swept.attempt, 1, 'the same run, the same attempt');
    const log = await events(first);
    assert.deepEqual(
      log.slice(-1).map((e) => [e.type, e.payload.previous_status]),
      [['task.run_lease_expired', 'claimed']],
    );
  });

  test('one completion path: the holder finishes leased work, the operator finishes the rest', async () => {
    const leased = await move(await queuedRun(), 'claim', lease('sess-c'));
    const done = await kernel.write(sessionActor('sess-c', 'complete'), async (unit) => {
      await finish(unit, leased, { status: 'completed', result: { ok: true } }, 'sess-c');
      return unit.run(leased.id);
    });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.result, { ok: true });
    assert.equal(done.claim_token_hash, leased.claim_token_hash, 'the hash stays as fencing history');
    assert.equal(done.lease_until, null);
    const manual = await move(await queuedRun(), 'claim', {
      set: { claimed_by_kind: 'human', claimed_by_ref: 'me' },
    });
    await refused(
      kernel.write(operator('fail'), (unit) => finish(unit, manual, { status: 'failed', error: 'no' })),
      'task_transition_invalid',
      /from "claimed" to "failed"/,
    );
    const bound = await move(manual, 'attach_session', { set: { session_id: 'sess-d' } });
    const failed = await kernel.write(operator('fail'), async (unit) => {
      await finish(unit, bound, { status: 'failed', error: 'disk full' });
      return unit.run(bound.id);
    });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'disk full');
    const last = (await events(bound)).at(-1)!;
    assert.equal(last.type, 'task.run_failed');
    assert.equal(last.payload.claim_token_hash, undefined, 'never leased: no hash to report');
  });

  test('a continuation is queued inside the move, and the event is on the new run', async () => {
    const stuck = await move(await queuedRun(), 'starve', { set: { error: 'nobody came' } });
    const fresh = await kernel.write(operator('recover'), async (unit) => {
      let next: RunRecord | undefined;
      await transition(unit, stuck, 'recover_from_attention', {
        set: { error: 'recovered' },
        then: async () => {
          next = (await enqueueRun(unit, await unit.task(stuck.task_id), { silent: true })).run;
          return { runId: next.id, payload: { source_run_id: stuck.id } };
        },
      });
      return next!;
    });
    const source = (await kernel.read.runs.get(stuck.id))!;
    assert.equal(source.status, 'failed');
    assert.equal(source.failure_kind, 'operator_forced');
    assert.equal(fresh.attempt, 2);
    const event = (await events(fresh)).at(-1)!;
    assert.equal(event.type, 'task.run_recovered_from_attention');
    assert.deepEqual(
      [event.payload.manual, event.payload.previous_status, event.payload.status, event.payload.task_status],
      [true, 'needs_attention', 'failed', 'ready'],
    );
  });
});
