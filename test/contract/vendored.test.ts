// The daemon routes from its own copy of the contract (contract/openapi.json); it must not drift from
// the team's shared one.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONTRACT_OPERATIONS } from '../../src/http/contract-operations.ts';

const shared = new URL('../../../shared/contract/openapi.json', import.meta.url);
const vendored = new URL('../../contract/openapi.json', import.meta.url);

test('contract/openapi.json is identical to ../shared/contract/openapi.json', {
  skip: !existsSync(shared) && 'no ../shared checkout beside the repository',
}, () => {
  assert.ok(
    readFileSync(vendored, 'utf8') === readFileSync(shared, 'utf8'),
    'the vendored contract differs from the shared one: copy ../shared/contract/openapi.json to contract/ and run npm run gen:client',
  );
});

test('the daemon knows all 111 operations of the contract, each once', () => {
  assert.equal(CONTRACT_OPERATIONS.length, 111);
  const keys = new Set(CONTRACT_OPERATIONS.map((op) => `${op.method} ${op.url}`));
  assert.equal(keys.size, 111);
  const ids = new Set(CONTRACT_OPERATIONS.map((op) => op.operationId));
  assert.equal(ids.size, 111);
});
