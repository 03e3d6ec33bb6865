// Graceful shutdown, in process: a request already in flight when shutdown starts still completes and
// its write is durable; new connections are refused; the database is closed.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/daemon/config.ts';
import { startDaemon } from '../../src/daemon/daemon.ts';
import { openStore } from '../../src/store/db.ts';
import { WorkspaceStore } from '../../src/workspaces/store.ts';
import { scratchDir } from '../helpers/app.ts';
import { assertConforms } from '../helpers/contract.ts';

test('a request in flight when shutdown begins completes, and its write survives', async () => {
  const home = scratchDir('agh-home-');
  const token = 'shutdown-test-token';
  const daemon = await startDaemon(
    loadConfig({ AGH_HOME: home, AGH_HTTP_PORT: '0', AGH_OPERATOR_TOKEN: token, AGH_LOG_LEVEL: 'silent' }),
  );
  const root = scratchDir();
  const body = JSON.stringify({ root_dir: root, name: 'in-flight' });

  // Send the headers and half the body, start the shutdown, then send the rest.
  const reply = new Promise<{
    status: number;
    text: string;
    headers: Record<string, string | string[] | undefined>;
  }>((resolve, reject) => {
    const req = request(
      `${daemon.url}/api/workspaces`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      closing = daemon.close();
      setTimeout(() => req.end(body.slice(10)), 50);
    }, 50);
  });
  let closing: Promise<void> | undefined;

  const res = await reply;
  assert.equal(res.status, 201, res.text);
  assertConforms('POST', '/api/workspaces', res);
  assert.equal(res.headers.connection, 'close', 'the connection is not kept alive during shutdown');
  await closing;

  await assert.rejects(fetch(`${daemon.url}/api/status`), 'no new connections after shutdown');

  const store = await openStore({ location: join(home, 'agh.db') });
  try {
    const saved = await new WorkspaceStore(store.db).findByName('in-flight');
    assert.ok(saved, 'the acknowledged registration is in the database');
  } finally {
    await store.close();
  }
});
