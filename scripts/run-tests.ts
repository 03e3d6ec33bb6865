// `npm test`: runs every test file with node:test in one run, one file at a time. The contract
// coverage check reads what the other files exercised, so it must run last: node sorts the files it
// is given by path, hence its name test/zz-contract-coverage.test.ts. Pass files or folders to run a
// subset (the coverage check is then left out):
//   npm test -- test/workspaces
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const COVERAGE = 'test/zz-contract-coverage.test.ts';
const args = process.argv.slice(2);
// A subset run records elsewhere, so that it never wipes what a full run in progress recorded.
const resultsDir = join(
  root,
  '.test-results',
  args.length === 0 ? 'contract' : `contract-subset-${process.pid}`,
);

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return testFiles(full);
      return name.endsWith('.test.ts') ? [relative(root, full)] : [];
    });
}

const selected =
  args.length === 0
    ? testFiles(join(root, 'test'))
    : args.flatMap((a) =>
        statSync(resolve(a)).isDirectory() ? testFiles(resolve(a)) : [relative(root, resolve(a))],
      );
const full = args.length === 0;
const files = [...selected.filter((f) => f !== COVERAGE), ...(full ? [COVERAGE] : [])];

rmSync(resultsDir, { recursive: true, force: true });
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, AGH_CONTRACT_RESULTS_DIR: resultsDir, AGH_CONTRACT_COVERAGE: full ? '1' : '0' },
});
if (!full) rmSync(resultsDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
