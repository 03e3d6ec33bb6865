// npm run bench:workspaces — throughput and latency of the Workspaces API over real HTTP on loopback,
// on SQLite (and PostgreSQL when its binaries are installed). Prints one line per measurement.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createServices } from '../src/daemon/services.ts';
import { buildApp } from '../src/http/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { openStore } from '../src/store/db.ts';
import { findPostgresBin, startPostgres } from '../test/helpers/postgres.ts';
import { measure, report } from './measure.ts';

const TOKEN = 'bench-token';
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 300);
const READS = Number(process.env.BENCH_READS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function run(label: string, database: string | undefined): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'agh-bench-'));
  const store = await openStore({ location: database ?? join(home, 'agh.db') });
  const app = await buildApp({
    services: await createServices({
      store,
      clock: systemClock,
      home,
      logger: pino({ level: 'silent' }),
      apiUrl: () => '',
    }),
    operatorToken: TOKEN,
    dialect: store.dialect,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    const roots = Array.from({ length: REGISTRATIONS }, (_, i) => {
      const dir = join(home, 'roots', `project-${i}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    });
    const ids: string[] = [];
    const create = await measure(REGISTRATIONS, 1, async (i) => {
      const res = await fetch(`${base}/api/workspaces`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ root_dir: roots[i] }),
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { workspace: { id: string } }).workspace.id);
    });
    report(label, 'POST /api/workspaces (register, sequential)', create);

    const get = await measure(READS, CONCURRENCY, async (i) => {
      const res = await fetch(`${base}/api/workspaces/${ids[i % ids.length]}`, { headers });
      if (res.status !== 200) throw new Error(`get: ${res.status}`);
      await res.arrayBuffer();
    });
    report(label, `GET /api/workspaces/{id} (detail, ${CONCURRENCY} in flight)`, get);

    const list = await measure(Math.ceil(READS / 10), CONCURRENCY, async () => {
      const res = await fetch(`${base}/api/workspaces`, { headers });
      if (res.status !== 200) throw new Error(`list: ${res.status}`);
      await res.arrayBuffer();
    });
    report(label, `GET /api/workspaces (${REGISTRATIONS} rows, ${CONCURRENCY} in flight)`, list);
  } finally {
    await app.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await run('sqlite', undefined);
if (findPostgresBin()) {
  const pg = await startPostgres();
  try {
    await run('postgres', await pg.newDatabase());
  } finally {
    await pg.stop();
  }
} else {
  process.stdout.write('postgres   skipped: no PostgreSQL binaries\n');
}
