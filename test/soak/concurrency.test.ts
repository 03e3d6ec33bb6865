// Soak-sized claim races (npm run test:soak; CI runs it after npm test): the same properties as
// test/tasks/concurrency.test.ts, at sizes that take minutes rather than seconds.
import { test } from 'node:test';
import { claimEachRunOnce, oneTerminalWriteWins } from '../helpers/claims.ts';
import { forEachDialect } from '../helpers/dialects.ts';

const RUNS = 2000;
const CLAIMERS = 32;
const ROUNDS = 500;

forEachDialect('claims under concurrency, soak-sized', (ctx) => {
  test(`${CLAIMERS} claimers on ${RUNS} runs: each run is claimed exactly once`, () =>
    claimEachRunOnce(ctx, RUNS, CLAIMERS));

  test(`racing complete, fail and release on one lease, ${ROUNDS} times: exactly one terminal write wins`, () =>
    oneTerminalWriteWins(ctx, ROUNDS));
});
