// The one event log, on SQLite and on PostgreSQL: tasks and sessions append to one gap-free
// sequence, each in the transaction of its change; scopes read only their own events; durable
// consumers handle every event at least once across restarts (exactly once while handlers succeed,
// even with two daemons on one database); and the upgrade from the task-only log keeps every event.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Migrator } from 'kysely/migration';
import { actorOf } from '../../src/principals/principal.ts';
import { openStore } from '../../src/store/db.ts';
import { EventConsumer } from '../../src/store/event-consumer.ts';
import { EventLogRows, type LogEvent } from '../../src/store/event-log.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from '../helpers/agents.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';
import { forEachDialect, freshAppPerTest } from '../helpers/dialects.ts';

const operator = (action: string) => actorOf({ kind: 'operator' }, `tasks.${action}`);

async function workspace(t: TestApp): Promise<{ id: string; root: string }> {
  const root = realpathSync(scratchDir());
  putAgent(root, 'idle', { provider: 'process', command: fixtureCommand(FAKE_PROCESS_AGENT) });
  const res = await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'log' } });
  return { id: res.body.workspace.id, root };
}

/** Waits until the bus has delivered an event matching `match` (or finds it already delivered). */
function heard(t: TestApp, seen: LogEvent[], match: (e: LogEvent) => boolean): Promise<LogEvent> {
  const found = seen.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const stop = t.services.events.subscribe((e) => {
      if (!match(e)) return;
      stop();
      resolve(e);
    });
  });
}

forEachDialect('the one event log', (ctx) => {
  const app = freshAppPerTest(ctx);

  test('tasks and sessions share one gap-free sequence, and each scope reads only its own events', async () => {
    const t = app.get();
    const ws = await workspace(t);
    const task = await t.services.tasks.create(
      { scope: 'workspace', workspace: ws.id, title: 'x' },
      operator('create'),
    );
    const session = (await t.api.post('/api/sessions', { body: { agent_name: 'idle', workspace: ws.id } }))
      .body.session;
    await t.services.lifecycle.start(task.id, {}, operator('start'));
    await t.api.post(`/api/sessions/${session.id}/stop`, { body: {} });

    const log = new EventLogRows(t.store.db, t.store.dialect);
    const all = await log.since(0, 1000);
    assert.deepEqual(
      all.map((e) => e.seq),
      all.map((_, i) => i + 1),
      'one sequence, no gaps, no repeats',
    );
    const sessionTypes = all.filter((e) => e.scope_kind === 'session').map((e) => e.type);
    assert.deepEqual(sessionTypes, ['session.created', 'session.started', 'session.stopped']);
    // Task events written before and after the session's land on both sides of them in the sequence.
    const kinds = all.map((e) => e.scope_kind);
    assert.ok(kinds.indexOf('session') > kinds.indexOf('task'));
    assert.ok(kinds.lastIndexOf('task') > kinds.indexOf('session'));

    const ofSession = await log.ofScope('session', session.id, 0, 0);
    assert.equal(ofSession.length, 3);
    assert.ok(ofSession.every((e) => e.scope_id === session.id));
    const stopped = ofSession[2]!;
    assert.equal(stopped.payload.reason, 'user_canceled');
    assert.equal(stopped.payload.workspace_id, ws.id);
    assert.equal(stopped.actor.kind, 'daemon');

    // The task timeline holds only the task's events, whatever else the log holds.
    const timeline = await t.api.get(`/api/tasks/${task.id}/timeline`);
    assert.equal(timeline.status, 200);
    const types: string[] = timeline.body.timeline.map((e: { event_type: string }) => e.event_type);
    assert.ok(types.length >= 2);
    assert.ok(types.every((type) => type.startsWith('task.')));
  });

  test('a durable consumer handles every event once in order, resumes after a restart, and retries a failed batch', async () => {
    const t = app.get();
    const ws = await workspace(t);
    for (let i = 0; i < 5; i++) {
      await t.services.tasks.create(
        { scope: 'workspace', workspace: ws.id, title: `a${i}` },
        operator('create'),
      );
    }
    const handled: number[] = [];
    let failNext = false;
    const make = () =>
      new EventConsumer({
        name: 'test-consumer',
        store: t.store,
        bus: t.services.events,
        clock: t.clock,
        batchSize: 3,
        handle: async (events) => {
          if (failNext) {
            failNext = false;
            throw new Error('the bridge is down');
          }
          handled.push(...events.map((e) => e.seq));
        },
      });
    const first = make();
    await first.start();
    assert.deepEqual(handled, [1, 2, 3, 4, 5], 'the backlog, in order');

    const sixth = await t.services.tasks.create(
      { scope: 'workspace', workspace: ws.id, title: 'b' },
      operator('create'),
    );
    await first.drain();
    assert.deepEqual(handled, [1, 2, 3, 4, 5, 6], 'a new event, once');
    await first.stop();

    // Committed while no consumer runs; then a failing batch, then a retry.
    await t.services.tasks.update(sixth.id, { title: 'b2' }, operator('update'));
    const second = make();
    failNext = true;
    await second.start();
    assert.deepEqual(handled, [1, 2, 3, 4, 5, 6], 'the failed batch left the cursor where it was');
    await second.drain();
    assert.deepEqual(handled, [1, 2, 3, 4, 5, 6, 7], 'retried, and nothing before the cursor again');
    await second.stop();
  });

  test('the upgrade from the task-only log keeps every task event and its sequence number', async () => {
    const database = await ctx.newDatabase();
    const location = database ?? join(scratchDir('agh-upgrade-'), 'agh.db');
    // Bring a fresh database to the last schema with a task-only log, and write two events there.
    const old = await openStore({ location, migrate: false });
    const migrator = new Migrator({ db: old.db, provider: migrationProvider });
    const to3 = await migrator.migrateTo('0003-tasks');
    assert.equal(to3.error, undefined);
    const raw = old.db as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
    for (const seq of [1, 2]) {
      await raw
        .insertInto('task_events')
        .values({
          seq,
          id: `evt-old-${seq}`,
          task_id: 'task-old',
          run_id: null,
          type: 'task.created',
          actor_kind: 'human',
          actor_ref: 'local-user',
          origin_kind: 'http',
          origin_ref: 'tasks.create',
          payload: '{"n":' + seq + '}',
          timestamp: '2026-01-01T00:00:00.000Z',
        })
        .execute();
    }
    await raw.updateTable('counters').set({ value: 2 }).where('name', '=', 'task_event_seq').execute();
    await old.close();

    const upgraded = await openStore({ location });
    try {
      const log = new EventLogRows(upgraded.db, upgraded.dialect);
      const events = await log.ofScope('task', 'task-old', 0, 0);
      assert.deepEqual(
        events.map((e) => [e.seq, e.id, e.payload.n, e.at]),
        [
          [1, 'evt-old-1', 1, '2026-01-01T00:00:00.000Z'],
          [2, 'evt-old-2', 2, '2026-01-01T00:00:00.000Z'],
        ],
      );
      assert.equal(await log.latestSeq(), 2, 'the sequence goes on from where it was');
    } finally {
      await upgraded.close();
    }
  });
});

forEachDialect('the event log across daemons', ({ dialect, newDatabase }) => {
  test(
    'another daemon on the same database hears session lifecycle events, and one consumer name handles each event once',
    { skip: dialect === 'sqlite' && 'several daemons share a database only on PostgreSQL' },
    async () => {
      const database = (await newDatabase())!;
      const a = await startTestApp({ database });
      const b = await startTestApp({ database });
      try {
        const seenOnB: LogEvent[] = [];
        const stop = b.services.events.subscribe((e) => seenOnB.push(e));
        const ws = await workspace(a);
        const session = (
          await a.api.post('/api/sessions', { body: { agent_name: 'idle', workspace: ws.id } })
        ).body.session;
        const started = await heard(
          b,
          seenOnB,
          (e) => e.type === 'session.started' && e.scope_id === session.id,
        );
        assert.equal(started.payload.agent, 'idle');
        stop();

        const handled: number[] = [];
        const consumer = (t: TestApp) =>
          new EventConsumer({
            name: 'shared',
            store: t.store,
            bus: t.services.events,
            clock: t.clock,
            batchSize: 2,
            handle: async (events) => void handled.push(...events.map((e) => e.seq)),
          });
        const [ca, cb] = [consumer(a), consumer(b)];
        await Promise.all([ca.start(), cb.start()]);
        for (let i = 0; i < 10; i++) {
          await (i % 2 ? a : b).services.tasks.create(
            { scope: 'workspace', workspace: ws.id, title: `c${i}` },
            operator('create'),
          );
        }
        await Promise.all([ca.drain(), cb.drain()]);
        await Promise.all([ca.drain(), cb.drain()]);
        const latest = await new EventLogRows(a.store.db, a.store.dialect).latestSeq();
        assert.equal(handled.length, new Set(handled).size, 'no event handled twice');
        assert.deepEqual(
          [...handled].sort((x, y) => x - y),
          Array.from({ length: latest }, (_, i) => i + 1),
          'every event handled',
        );
        await Promise.all([ca.stop(), cb.stop()]);
      } finally {
        await a.close();
        await b.close();
      }
    },
  );
});
