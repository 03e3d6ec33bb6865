// `npm test`: runs the test files with node:test, several at a time, then prints the totals and the
// wall time. Pass files or folders to run a subset:
//   npm test -- test/workspaces test/tasks/leases.test.ts
// `npm run test:soak` runs test/soak, the soak-sized cases that a plain `npm test` leaves out.
//
// One throwaway PostgreSQL cluster serves the whole run (test/helpers/postgres.ts reads its URL from
// the environment); it is removed at the end, also when a test fails or the run is interrupted.
//
// The contract coverage check (test/zz-contract-coverage.test.ts) reads what the other files
// recorded, so it runs in a second step once they have all finished, and only in a full run is its
// "everything was exercised" half meaningful. Each run records in a directory of its own, so that
// runs side by side (even in one tree) never see each other's records.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import {
  findPostgresBin,
  type PostgresCluster,
  postgresUnavailable,
  SHARED_POSTGRES_ENV,
  startPostgresCluster,
} from '../test/helpers/postgres.ts';

const began = Date.now();
/** How the totals are labelled: `npm test`, `npm run test:soak`. */
const event = process.env.npm_lifecycle_event;
const label = event === undefined ? 'run-tests' : event === 'test' ? 'npm test' : `npm run ${event}`;
const root = resolve(import.meta.dirname, '..');
const COVERAGE = join('test', 'zz-contract-coverage.test.ts');
const SOAK = join('test', 'soak');
/**
 * Test files at once: one more than the cores, since files also wait on the processes they start
 * (agh, daemons, agents). On a 2-core machine 3 was fastest of 2, 3, 4 and 6 (README, Development).
 */
const CONCURRENCY = Number(process.env.AGH_TEST_CONCURRENCY) || availableParallelism() + 1;

const args = process.argv.slice(2);
const full = args.length === 0;

function testFiles(dir: string, withSoak: boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        return !withSoak && relative(root, path) === SOAK ? [] : testFiles(path, withSoak);
      }
      return name.endsWith('.test.ts') ? [relative(root, path)] : [];
    });
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);
const selected = full
  ? testFiles(join(root, 'test'), false)
  : args.flatMap((a) => {
      const path = resolve(a);
      // Soak files run when asked for by name or folder, never as part of a wider folder.
      return statSync(path).isDirectory()
        ? testFiles(path, isUnder(relative(root, path), SOAK))
        : [relative(root, path)];
    });
const files = [...new Set(selected)].filter((f) => f !== COVERAGE);
const withCoverage = full || selected.includes(COVERAGE);

// Records of runs that were killed outright: their pid no longer runs.
const resultsBase = join(root, '.test-results');
for (const name of existsSync(resultsBase) ? readdirSync(resultsBase) : []) {
  const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
  if (pid && !isRunning(pid)) rmSync(join(resultsBase, name), { recursive: true, force: true });
}
const resultsDir = join(resultsBase, `run-${process.pid}`);
/** What the test files exercised of the contract, one file per process (the TAP copies stay out). */
const contractDir = join(resultsDir, 'contract');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

let cluster: PostgresCluster | undefined;
let child: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;
const cleanUp = () => {
  cluster?.stop();
  cluster = undefined;
  rmSync(resultsDir, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    process.stderr.write(`\n${label}: ${signal}: stopping the tests\n`);
    // The test processes run in a group of their own (see `step`): the signal goes to all of them,
    // as a Ctrl-C in a terminal would, and whatever still runs after a while is killed.
    signalGroup(signal);
    setTimeout(() => signalGroup('SIGKILL'), 15_000).unref();
  });
}

// Under CI missing PostgreSQL binaries are an error (postgresUnavailable throws); elsewhere the
// PostgreSQL halves of the suites skip, each saying so.
if (!postgresUnavailable() && findPostgresBin()) {
  // Each file with PostgreSQL tests holds an admin connection and daemons with pools of up to 10.
  cluster = await startPostgresCluster({ maxConnections: 50 * CONCURRENCY });
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  AGH_CONTRACT_RESULTS_DIR: contractDir,
  AGH_CONTRACT_COVERAGE: full ? '1' : '0',
  ...(cluster && { [SHARED_POSTGRES_ENV]: cluster.adminUrl }),
  // Tests start hundreds of Node processes (agh, fake agents) on the same TypeScript sources: Node's
  // compile cache saves about a third of each start's CPU. Runs share it; Node ignores stale entries.
  NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(root, 'node_modules', '.cache', 'node-compile'),
};

interface Totals {
  tests: number;
  suites: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
}
const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
const totals: Totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };

/**
 * One `node --test` over `testFiles`, its spec output on our stdout. A TAP copy goes to a file whose
 * closing `# pass N` lines are added to the totals. Resolves to the exit status.
 */
function step(name: string, testFiles: string[], concurrency: number): Promise<number> {
  if (testFiles.length === 0 || interrupted) return Promise.resolve(interrupted ? 1 : 0);
  const tap = join(resultsDir, `${name}.tap`);
  return new Promise((done) => {
    child = spawn(
      process.execPath,
      [
        '--test',
        `--test-concurrency=${concurrency}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        ...testFiles,
      ],
      { cwd: root, env, stdio: 'inherit', detached: true },
    );
    child.on('error', (err) => {
      process.stderr.write(`${label}: cannot start node --test: ${err.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      child = undefined;
      const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
      for (const key of COUNTS) {
        const matches = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
        totals[key] += Number(matches.at(-1)?.[1] ?? 0);
      }
      done(code ?? (signal ? 1 : 0));
    });
  });
}

function signalGroup(signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const statuses = [await step('files', files, CONCURRENCY)];
if (withCoverage) statuses.push(await step('coverage', [COVERAGE], 1));

const failed = statuses.some((s) => s !== 0) || interrupted !== undefined;
const seconds = Math.round((Date.now() - began) / 1000);
process.stdout.write(
  `\n${label}: totals of ${files.length + (withCoverage ? 1 : 0)} files, ${CONCURRENCY} at a time\n` +
    COUNTS.map((key) => `ℹ ${key} ${totals[key]}\n`).join('') +
    `${label}: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped, ${totals.cancelled} cancelled` +
    `${interrupted ? ` — INTERRUPTED by ${interrupted} (totals are partial)` : failed ? ' — FAILED' : ''}\n` +
    `${label}: ${seconds} s wall\n`,
);
cleanUp();
process.exit(interrupted ? 128 + constants.signals[interrupted] : failed ? 1 : 0);
