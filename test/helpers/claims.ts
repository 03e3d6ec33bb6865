// The races shared by the concurrency suite (sized to prove the property in `npm test`) and the soak
// suite (sized to shake out rare interleavings, in `npm run test:soak`).
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { actorOf } from '../../src/principals/principal.ts';
import type { LeaseCaller } from '../../src/tasks/leases.ts';
import { scratchDir, startTestApp, type TestApp } from './app.ts';
import type { DialectContext } from './dialects.ts';
import { insertActiveSession } from './tasks.ts';

const operator = (action: string) => actorOf({ kind: 'operator' }, `tasks.${action}`);

/**
 * `claimers` sessions drain `runs` queued runs at once, on PostgreSQL through two daemons on one
 * database: every run is claimed exactly once, and the event sequence has no gap.
 */
export async function claimEachRunOnce(
  { dialect, newDatabase }: DialectContext,
  runs: number,
  claimers: number,
): Promise<void> {
  const database = await newDatabase();
  const daemons: TestApp[] = [await startTestApp(database ? { database } : {})];
  // On PostgreSQL a second daemon shares the database and claims from the same queue.
  if (dialect === 'postgres') daemons.push(await startTestApp({ database: database! }));
  try {
    const [a] = daemons as [TestApp];
    const root = realpathSync(scratchDir());
    const ws = (await a.api.post('/api/workspaces', { body: { root_dir: root, name: 'busy' } })).body
      .workspace.id;
    for (let i = 0; i < runs; i++) {
      const task = await a.services.tasks.create(
        { scope: 'workspace', workspace: ws, title: `job ${i}` },
        operator('create'),
      );
      await a.services.lifecycle.start(task.id, {}, operator('start'));
    }
    const claimed: string[] = [];
    const sessions = await Promise.all(
      Array.from({ length: claimers }, async (_, i) => {
        const s = await insertActiveSession(a.store, ws);
        const caller: LeaseCaller = { sessionId: s.id, agentName: s.agent, workspaceId: ws, channel: null };
        return { caller, daemon: daemons[i % daemons.length]! };
      }),
    );
    await Promise.all(
      sessions.map(async ({ caller, daemon }) => {
        for (;;) {
          const claim = await daemon.services.leases.claimNext(caller, {});
          if (!claim) return;
          claimed.push(claim.run.id);
          await daemon.services.leases.complete(caller, claim.run.id, { result: { by: caller.sessionId } });
        }
      }),
    );
    assert.equal(claimed.length, runs);
    assert.equal(new Set(claimed).size, runs, 'no run was claimed twice');
    const tasks = await a.services.taskReader.list({ workspace_id: ws });
    assert.equal(tasks.length, runs);
    assert.ok(tasks.every((t) => t.status === 'completed'));
    const claimEvents = await a.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('type', '=', 'task.run_claimed')
      .executeTakeFirst();
    assert.equal(Number(claimEvents?.n), runs);
    const seqs = await a.store.db.selectFrom('events').select('seq').orderBy('seq').execute();
    assert.deepEqual(
      seqs.map((r) => Number(r.seq)),
      Array.from({ length: seqs.length }, (_, i) => i + 1),
      'the event sequence has no gaps and no repeats',
    );
  } finally {
    for (const d of daemons.reverse()) await d.close();
  }
}

/** `rounds` times, complete, fail and release race on one lease: exactly one wins, the rest are 409. */
export async function oneTerminalWriteWins({ newDatabase }: DialectContext, rounds: number): Promise<void> {
  const database = await newDatabase();
  const t = await startTestApp(database ? { database } : {});
  try {
    const ws = (
      await t.api.post('/api/workspaces', { body: { root_dir: realpathSync(scratchDir()), name: 'race' } })
    ).body.workspace.id;
    for (let round = 0; round < rounds; round++) {
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
}
