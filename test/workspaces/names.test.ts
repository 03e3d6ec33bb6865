// The names agh derives for a directory must be names it accepts back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { derivedName, MAX_NAME_LENGTH, validateName } from '../../src/workspaces/names.ts';

describe('derived workspace names', () => {
  const cut = MAX_NAME_LENGTH - 16;
  const cases: [string, string][] = [
    ['/srv/project', 'project'],
    [`/x/${'a'.repeat(cut - 1)}😀tail`, 'a'.repeat(cut - 1)],
    [`/x/${'a'.repeat(cut - 1)} tail`, 'a'.repeat(cut - 1)],
    [`/x/${'é'.repeat(200)}`, 'é'.repeat(cut)],
    ['/x/tab\there', 'tabhere'],
    ['/x/ws_legacy', 'ws_legacy'],
    ['/x/ws_00000000000000ff', 'dir-ws_00000000000000ff'],
    ['/x/01J9ZQ3X5K8W2M4N6P7R9T0V1B', 'dir-01J9ZQ3X5K8W2M4N6P7R9T0V1B'],
    ['/x/~', 'dir-~'],
    ['/x/\u0001\u0002', 'workspace'],
    ['/x/   ', 'workspace'],
    ['/', 'workspace'],
  ];
  for (const [root, expected] of cases) {
    test(`${JSON.stringify(root.slice(0, 40))} → ${JSON.stringify(expected.slice(0, 20))}`, () => {
      const name = derivedName(root);
      assert.equal(name, expected);
      // Accepted back as it is, and with the longest de-duplication suffix it may get.
      assert.equal(validateName(name), name);
      assert.equal(validateName(`${name}-9999`), `${name}-9999`);
    });
  }
});
