// Claims under concurrency, on SQLite and on PostgreSQL (there with two daemons on one database):
// every run is claimed exactly once, and among racing writes to one lease exactly one wins. The
// soak-sized versions are in test/soak (npm run test:soak).
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { test } from 'node:test';
import { actorOf } from '../../src/principals/principal.ts';
import type { LeaseCaller } from '../../src/tasks/leases.ts';
import { eventually } from '../helpers/agents.ts';
import { scratchDir, startTestApp } from '../helpers/app.ts';
import { claimEachRunOnce, oneTerminalWriteWins } from '../helpers/claims.ts';
import { forEachDialect } from '../helpers/dialects.ts';
import { insertActiveSession, longPollWaiting } from '../helpers/tasks.ts';

const operator = (action: string) => actorOf({ kind: 'operator' }, `tasks.${action}`);

/** Enough to make 32 claimers collide all the time; the soak suite repeats this with 2000. */
const RUNS = 300;
const CLAIMERS = 32;
const ROUNDS = 10;

forEachDialect('claims under concurrency', (ctx) => {
  const { dialect, newDatabase } = ctx;
  test(`${CLAIMERS} claimers on ${RUNS} runs: each run is claimed exactly once`, () =>
    claimEachRunOnce(ctx, RUNS, CLAIMERS));

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
        await eventually(() => longPollWaiting(b.services, ws), "daemon B's long poll to wait");
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

  test(`racing complete, fail, release and heartbeat on one lease, ${ROUNDS} times: exactly one terminal write wins`, () =>
    oneTerminalWriteWins(ctx, ROUNDS));
});
