// A real PostgreSQL for tests: a throwaway cluster in a temporary directory, started from Debian's
// binaries (as the postgres user when running as root) and removed afterwards. `npm test` starts one
// cluster for the whole run and hands its admin URL to every test process in SHARED_POSTGRES_ENV;
// a test file run on its own (`node --test file`) starts its own cluster instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The admin URL (database `postgres`) of the run's shared cluster, set by scripts/run-tests.ts. */
export const SHARED_POSTGRES_ENV = 'AGH_TEST_POSTGRES_URL';

export interface TestPostgres {
  /** A URL to a brand-new, empty database. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export function findPostgresBin(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // No pg_config (it ships with libpq-dev): look in Debian's versioned folders instead.
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. Under CI a missing server is a failure. */
export function postgresUnavailable(): string | undefined {
  if (process.env[SHARED_POSTGRES_ENV] || findPostgresBin()) return undefined;
  const why = "PostgreSQL binaries not found (install Debian's postgresql package): PostgreSQL half SKIPPED";
  if (process.env.CI) throw new Error(`${why} — but CI must run it`);
  process.stderr.write(`\n!!! ${why} !!!\n\n`);
  return why;
}

export interface PostgresCluster {
  /** postgres://…/postgres, for creating databases. */
  adminUrl: string;
  /** Stops the server and removes its directory. Synchronous, so that exit and signal handlers can
   * call it; safe to call twice. */
  stop(): void;
}

/**
 * Starts a cluster in a fresh temporary directory. Durability is off (a test database never
 * outlives its run) and `maxConnections` leaves room for test files that run at the same time,
 * each with daemons that hold a pool of connections.
 */
export async function startPostgresCluster(
  options: { maxConnections?: number } = {},
): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'agh-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const res = spawnSync(file, argv, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr || res.stdout}`);
  };
  const data = join(dir, 'data');
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(join(data, 'postmaster.pid')))
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    const settings = [
      `-p ${port} -h 127.0.0.1 -k ${dir}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
      `-c max_connections=${options.maxConnections ?? 100}`,
    ];
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', settings.join(' '), 'start']);
    return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/**
 * Databases for one test process: on the run's shared cluster when there is one, else on a cluster
 * of its own. `stop()` drops the databases it made (shared) or the whole cluster (own).
 */
export async function startPostgres(): Promise<TestPostgres> {
  const shared = process.env[SHARED_POSTGRES_ENV];
  const cluster = shared ? undefined : await startPostgresCluster();
  const adminUrl = shared ?? cluster!.adminUrl;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    cluster?.stop();
    throw err;
  }
  // Test files run in parallel on one cluster: the pid keeps names apart between processes, the
  // random part even if a pid is reused within a run.
  const prefix = `agh_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  const made: string[] = [];
  return {
    async newDatabase() {
      const name = `${prefix}_${made.length + 1}`;
      made.push(name);
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      try {
        // Leftover connections (a daemon a failed test never closed) must not keep a database.
        if (shared)
          for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end().catch(() => {});
        cluster?.stop();
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
