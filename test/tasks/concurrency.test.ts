// Claims under concurrency, on SQLite and on PostgreSQL (there with two daemons on one database):
// every run is claimed exactly once, and among racing writes to one lease exactly one wins.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { test } from 'node:test';
import { actorOf } from '../../src/principals/principal.ts';
import type { LeaseCaller } from '../../src/tasks/leases.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';
import { forEachDialect } from '../helpers/dialects.ts';
import { insertActiveSession } from '../helpers/tasks.ts';

const operator = (action: string) => actorOf({ kind: 'operator' }, `tasks.${action}`);
const RUNS = 2000;
const CLAIMERS = 32;

forEachDialect('claims under concurrency', ({ dialect, newDatabase }) => {
  test(`${CLAIMERS} claimers on ${RUNS} runs: each run is claimed exactly once`, async () => {
    const database = await newDatabase();
    const daemons: TestApp[] = [await startTestApp(database ? { database } : {})];
    // On PostgreSQL a second daemon shares the database and claims from the same queue.
    if (dialect === 'postgres') daemons.push(await startTestApp({ database: database! }));
    try {
      const [a] = daemons as [TestApp];
      const root = realpathSync(scratchDir());
      const ws = (await a.api.post('/api/workspaces', { body: { root_dir: root, name: 'busy' } })).body
        .workspace.id;
      for (let i = 0; i < RUNS; i++) {
        const task = await a.services.tasks.create(
          { scope: 'workspace', workspace: ws, title: `job ${i}` },
          operator('create'),
        );
        await a.services.lifecycle.start(task.id, {}, operator('start'));
      }
      const claimed: string[] = [];
      const claimers = await Promise.all(
        Array.from({ length: CLAIMERS }, async (_, i) => {
          const s = await insertActiveSession(a.store, ws);
          const caller: LeaseCaller = { sessionId: s.id, agentName: s.agent, workspaceId: ws, channel: null };
          return { caller, daemon: daemons[i % daemons.length]! };
        }),
      );
      await Promise.all(
        claimers.map(async ({ caller, daemon }) => {
          for (;;) {
            const claim = await daemon.services.leases.claimNext(caller, {});
            if (!claim) return;
            claimed.push(claim.run.id);
            await daemon.services.leases.complete(caller, claim.run.id, { result: { by: caller.sessionId } });
          }
        }),
      );
      assert.equal(claimed.length, RUNS);
      assert.equal(new Set(claimed).size, RUNS, 'no run was claimed twice');
      const tasks = await a.services.taskReader.list({ workspace_id: ws });
      assert.equal(tasks.length, RUNS);
      assert.ok(tasks.every((t) => t.status === 'completed'));
      const claimEvents = await a.store.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('type', '=', 'task.run_claimed')
        .executeTakeFirst();
      assert.equal(Number(claimEvents?.n), RUNS);
      const seqs = await a.store.db.selectFrom('events').select('seq').orderBy('seq').execute();
      assert.deepEqual(
        seqs.map((r) => Number(r.seq)),
        Array.from({ length: seqs.length }, (_, i) => i + 1),
        'the event sequence has no gaps and no repeats',
      );
    } finally {
      for (const d of daemons.reverse()) await d.close();
    }
  });

  test(
    'two daemons on one database: a long poll on one wakes for work enqueued on the other',
    { skip: dialect !== 'postgres' && 'PostgreSQL only: SQLite has one daemon' },
    async () => {
      const database = (await newDatabase())!;
      const a = await startTestApp({ database });
      const b = await startTestApp({ database });
      try {
        const ws = (
          await a.api.post('/api/workspaces', {
            body: { root_dir: realpathSync(scratchDir()), name: 'shared' },
          })
        ).body.workspace.id;
        const s = await insertActiveSession(a.store, ws);
        const caller: LeaseCaller = { sessionId: s.id, agentName: s.agent, workspaceId: ws, channel: null };
        const seen: string[] = [];
        const unsubscribe = b.services.kernel.bus.subscribe((e) => seen.push(e.type));
        const waiting = b.services.leases.claimNext(caller, { wait: true });
        await new Promise((r) => setTimeout(r, 100));
        const task = await a.services.tasks.create(
          { scope: 'workspace', workspace: ws, title: 'from A' },
          operator('create'),
        );
        const { run } = await a.services.lifecycle.start(task.id, {}, operator('start'));
        const claim = await waiting;
        assert.equal(claim?.run.id, run.id, 'daemon B claimed what daemon A enqueued');
        unsubscribe();
        assert.deepEqual(
          seen.slice(0, 2),
          ['task.created', 'task.run_enqueued'],
          "daemon B's live listeners heard A's events",
        );
      } finally {
        await b.close();
        await a.close();
      }
    },
  );

  test('racing complete, fail, release and heartbeat on one lease: exactly one terminal write wins', async () => {
    const database = await newDatabase();
    const t = await startTestApp(database ? { database } : {});
    try {
      const ws = (
        await t.api.post('/api/workspaces', { body: { root_dir: realpathSync(scratchDir()), name: 'race' } })
      ).body.workspace.id;
      for (let round = 0; round < 10; round++) {
        const task = await t.services.tasks.create(
          { scope: 'workspace', workspace: ws, title: `race ${round}` },
          operator('create'),
        );
        await t.services.lifecycle.start(task.id, {}, operator('start'));
        const s = await insertActiveSession(t.store, ws);
        const caller: LeaseCaller = { sessionId: s.id, agentName: s.agent, workspaceId: ws, channel: null };
        const claim = await t.services.leases.claimNext(caller, {});
        assert.ok(claim);
        const outcomes = await Promise.allSettled([
          t.services.leases.complete(caller, claim.run.id, {}),
          t.services.leases.fail(caller, claim.run.id, { error: 'no' }),
          t.services.leases.release(caller, claim.run.id, {}),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        assert.equal(won.length, 1, JSON.stringify(outcomes.map((o) => o.status)));
        for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
          assert.equal((lost as PromiseRejectedResult).reason.status, 409);
        }
        await assert.rejects(t.services.leases.heartbeat(caller, claim.run.id, {}), { status: 409 });
      }
    } finally {
      await t.close();
    }
  });
});
