// Counts how much of the contract is built, proves every operation is routed, and — when run as part
// of the whole suite (npm test) — that every implemented operation was exercised with a success.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { listOperations, RESULTS_DIR } from './helpers/contract.ts';

describe('contract coverage', () => {
  let t: TestApp;
  const implemented: string[] = [];
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  test('every contract operation is routed: implemented, or 501 not_implemented', async () => {
    const operations = listOperations();
    assert.equal(operations.length, 111, 'the contract has 111 operations');
    const perTag = new Map<string, { built: number; total: number }>();
    for (const op of operations) {
      // Placeholder ids: a built operation answers 4xx for them, an unbuilt one 501.
      const url = op.path.replace(/\{[^}]+\}/g, 'ws_0000000000000000');
      const method = op.method.toUpperCase() as 'GET';
      const res = await t.api.request(
        method,
        url,
        method === 'GET' || method === 'DELETE' ? { record: false } : { body: {}, record: false },
      );
      assert.notEqual(res.body?.diagnostic?.code, 'route_not_found', `${method} ${op.path} is not routed`);
      const tag = (op.spec as { tags?: string[] }).tags?.[0] ?? 'untagged';
      const entry = perTag.get(tag) ?? { built: 0, total: 0 };
      entry.total += 1;
      if (res.status !== 501) {
        entry.built += 1;
        implemented.push(op.operationId);
      }
      perTag.set(tag, entry);
    }
    const lines = [...perTag].map(
      ([tag, { built, total }]) => `  ${tag.padEnd(14)} ${String(built).padStart(3)} / ${total}`,
    );
    process.stdout.write(
      `\nContract operations implemented: ${implemented.length} of ${operations.length} (the rest answer 501)\n${lines.join('\n')}\n\n`,
    );
  });

  test(
    'every implemented operation was exercised with a success by some test',
    {
      skip: coverageSkip(),
    },
    () => {
      const dir = RESULTS_DIR as string;
      const seen = new Map<string, Set<number>>();
      for (const file of existsSync(dir) ? readdirSync(dir) : []) {
        for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
          if (!line) continue;
          const { operationId, status } = JSON.parse(line) as { operationId: string; status: number };
          const statuses = seen.get(operationId) ?? new Set<number>();
          statuses.add(status);
          seen.set(operationId, statuses);
        }
      }
      const unexercised = implemented.filter(
        (id) => ![...(seen.get(id) ?? [])].some((s) => s >= 200 && s < 300),
      );
      assert.deepEqual(
        unexercised,
        [],
        `implemented but never answered 2xx in a test: ${unexercised.join(', ')}`,
      );
    },
  );
});

function coverageSkip(): string | false {
  if (process.env.AGH_CONTRACT_COVERAGE !== '1' || !RESULTS_DIR) {
    return 'only meaningful when the whole suite runs (npm test)';
  }
  return false;
}
