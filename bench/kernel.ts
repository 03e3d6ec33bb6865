// npm run bench:kernel — the task kernel's hot path over real HTTP against a fresh daemon: N
// sessions each loop claim-next → heartbeat → complete until the queue is empty. Printed next to
// the machine's own ceiling, measured in the same run: how many fsync'd SQLite commits per second
// this disk allows (every cycle is three durable write transactions).
//   BENCH_RUNS (default 2000), BENCH_SESSIONS (default 16); BENCH_POSTGRES=1 runs it on a throwaway
//   PostgreSQL server (as the tests start one), AGH_BENCH_DATABASE_URL=postgres://… on yours.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { createServices } from '../src/daemon/services.ts';
import { buildApp } from '../src/http/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { openStore } from '../src/store/db.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { insertActiveSession } from '../test/helpers/tasks.ts';
import { measure, report, type Result } from './measure.ts';

const TOKEN = 'bench-token-0123456789';
const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 16);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 2000);
const pg: TestPostgres | undefined = process.env.BENCH_POSTGRES === '1' ? await startPostgres() : undefined;
const database = process.env.AGH_BENCH_DATABASE_URL ?? (pg ? await pg.newDatabase() : undefined);

const home = mkdtempSync(join(tmpdir(), 'agh-bench-'));
const root = join(home, 'project');
mkdirSync(root);

/** Sequential single-row transactions on a WAL, synchronous=FULL SQLite file: the disk's ceiling. */
function commitCeiling(): Result {
  const db = new BetterSqlite3(join(home, 'ceiling.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id integer primary key, v text)');
  const insert = db.prepare('insert into t (v) values (?)');
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < COMMITS; i++) {
    const t0 = performance.now();
    insert.run(`row ${i}`);
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(q * latencies.length)] ?? 0;
  return { perSecond: COMMITS / seconds, p50: at(0.5), p99: at(0.99) };
}

const store = await openStore({ location: database ?? join(home, 'agh.db') });
const label = store.dialect;
const logger = pino({ level: 'silent' });
const services = await createServices({
  store,
  clock: systemClock,
  home,
  logger,
  apiUrl: () => '',
  file: { dispatcher: { enabled: false } },
});
const app = await buildApp({
  services,
  operatorToken: TOKEN,
  dialect: store.dialect,
  clock: systemClock,
  logger,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const call = async (path: string, body: unknown, extra: Record<string, string> = {}) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300 && res.status !== 204) throw new Error(`${path}: ${res.status} ${text}`);
  // Only the few ids the loop needs are read from the replies.
  type Reply = { workspace: { id: string }; task: { id: string }; claim: { run: { id: string } } };
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Reply };
};

try {
  const ceiling = commitCeiling();
  report('sqlite', `fsync'd commit ceiling (1 row per transaction, WAL, FULL)`, ceiling);

  const ws = (await call('/api/workspaces', { root_dir: root, name: 'bench' })).body.workspace.id;
  const enqueue = await measure(RUNS, SESSIONS, async (i) => {
    const task = (await call('/api/tasks', { scope: 'workspace', workspace: ws, title: `job ${i}` })).body
      .task;
    await call(`/api/tasks/${task.id}/start`, {});
  });
  report(label, 'POST /api/tasks + POST /api/tasks/{id}/start', enqueue);

  const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => insertActiveSession(store, ws)));
  const latency = { claim: [] as number[], heartbeat: [] as number[], complete: [] as number[] };
  const timed = async <T>(bucket: number[], fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    bucket.push(performance.now() - t0);
    return out;
  };
  let cycles = 0;
  const started = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      for (;;) {
        const claim = await timed(latency.claim, () => call('/api/agent/tasks/claim-next', {}, s.headers));
        if (claim.status === 204) return;
        const run = claim.body.claim.run.id;
        await timed(latency.heartbeat, () => call(`/api/agent/tasks/${run}/heartbeat`, {}, s.headers));
        await timed(latency.complete, () =>
          call(`/api/agent/tasks/${run}/complete`, { result: 'ok' }, s.headers),
        );
        cycles += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (cycles !== RUNS) throw new Error(`expected ${RUNS} cycles, got ${cycles}`);
  const perSecond = cycles / seconds;
  for (const [name, values] of Object.entries(latency)) {
    values.sort((a, b) => a - b);
    const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
    report(label, `${SESSIONS} sessions: POST /api/agent/tasks/…/${name === 'claim' ? 'claim-next' : name}`, {
      perSecond: values.length / seconds,
      p50: at(0.5),
      p99: at(0.99),
    });
  }
  process.stdout.write(
    `${label.padEnd(10)} ${`claim-next → heartbeat → complete cycles (${RUNS} runs)`.padEnd(58)} ${perSecond.toFixed(0).padStart(6)}/s\n`,
  );
  process.stdout.write(
    `${''.padEnd(10)} each cycle is 3 durable commits: ${(perSecond * 3).toFixed(0)} commits/s = ${((perSecond * 3 * 100) / ceiling.perSecond).toFixed(0)}% of the disk's fsync'd ceiling\n`,
  );
} finally {
  await app.close();
  await store.close();
  await pg?.stop();
  rmSync(home, { recursive: true, force: true });
}
