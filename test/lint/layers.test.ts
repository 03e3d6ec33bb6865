// The layer rule of `npm run lint` really refuses an upward import between src/ folders, and lets a
// downward one through: the order of folders is only worth something if the linter holds it.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = resolve(import.meta.dirname, '../..');

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'layers/folder-order').map((m) => m.message);
}

test('a domain folder importing the HTTP adapter is a lint error that names both folders', async () => {
  const errors = await layerErrors(
    'src/tasks/probe.ts',
    "import type { ZodApp } from '../http/app.ts';\nexport type X = ZodApp;\n",
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /tasks\/ must not import from http\//);
});

test('type-only imports, re-exports and deeper files are held to the order too', async () => {
  const errors = await layerErrors(
    'src/tasks/store/probe.ts',
    "export type { Services } from '../../operations/services.ts';\nimport '../../daemon/daemon.ts';\n",
  );
  assert.equal(errors.length, 2);
});

test('importing a lower layer, or within the same folder, passes', async () => {
  const errors = await layerErrors(
    'src/http/probe.ts',
    "import { AppError } from '../lib/errors.ts';\nimport { sseHeaders } from './sse.ts';\nexport { AppError, sseHeaders };\n",
  );
  assert.deepEqual(errors, []);
});

test('a new src/ folder must be given its place in the table', async () => {
  const errors = await layerErrors('src/newthing/probe.ts', "import { AppError } from '../lib/errors.ts';\n");
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /not in the layer table/);
});
