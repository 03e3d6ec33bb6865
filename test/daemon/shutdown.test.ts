// Graceful shutdown, in process: a request already in flight when shutdown starts still completes and
// its write is durable; new connections are refused; the database is closed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/daemon/config.ts';
import { startDaemon } from '../../src/daemon/daemon.ts';
import { openStore } from '../../src/store/db.ts';
import { WorkspaceStore } from '../../src/workspaces/store.ts';
import { eventually } from '../helpers/agents.ts';
import { scratchDir } from '../helpers/app.ts';
import { assertConforms } from '../helpers/contract.ts';

const token = 'shutdown-test-token';

async function start(options: { shutdownGraceMs?: number } = {}) {
  const home = scratchDir('agh-home-');
  const config = loadConfig({
    AGH_HOME: home,
    AGH_HTTP_PORT: '0',
    AGH_OPERATOR_TOKEN: token,
    AGH_LOG_LEVEL: 'silent',
  });
  return { home, daemon: await startDaemon(config, options) };
}

async function savedWorkspaces(home: string) {
  const store = await openStore({ location: join(home, 'agh.db') });
  try {
    return await new WorkspaceStore(store.db).list();
  } finally {
    await store.close();
  }
}

test('a request in flight when shutdown begins completes, and its write survives', async () => {
  const { home, daemon } = await start();
  const root = scratchDir();
  const body = JSON.stringify({ root_dir: root, name: 'in-flight' });

  // Send the headers and half the body; once the daemon has the request, start the shutdown, and
  // once the shutdown has reached the HTTP server, send the rest.
  const received = once(daemon.app.server, 'request');
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
    void received.then(async () => {
      closing = daemon.close();
      await shutdownReachedServer(daemon);
      req.end(body.slice(10));
    });
  });
  let closing: Promise<void> | undefined;

  const res = await reply;
  assert.equal(res.status, 201, res.text);
  assertConforms('POST', '/api/workspaces', res);
  assert.equal(res.headers.connection, 'close', 'the connection is not kept alive during shutdown');
  await closing;

  await assert.rejects(fetch(`${daemon.url}/api/status`), 'no new connections after shutdown');

  const saved = await savedWorkspaces(home);
  assert.deepEqual(
    saved.map((w) => w.name),
    ['in-flight'],
    'the acknowledged registration is in the database',
  );
});

test('a client that never finishes its request cannot hold the shutdown up past the grace period', async () => {
  const { home, daemon } = await start({ shutdownGraceMs: 300 });
  // Headers promise 100 bytes of body; only 10 ever arrive.
  const received = once(daemon.app.server, 'request');
  const socket = connect(daemon.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `POST /api/workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"root_dir"',
  );
  const ended = once(socket, 'close');
  await received;
  const started = Date.now();
  await daemon.close();
  await ended;
  const took = Date.now() - started;
  assert.ok(took >= 250, `shutdown waited for the grace period (${took} ms)`);
  // Without the grace period only the request timeout (two minutes) would end the request.
  assert.ok(took < 60_000, `shutdown cut the request instead of waiting for it (${took} ms)`);
  assert.deepEqual(await savedWorkspaces(home), [], 'the cut request wrote nothing');
});

test('a request that arrives on an open connection during shutdown is 503 shutting_down', async () => {
  const { daemon } = await start({ shutdownGraceMs: 300 });
  // The connection is open before shutdown; its request is complete only after shutdown began.
  const accepted = once(daemon.app.server, 'connection');
  const socket = connect(daemon.port, '127.0.0.1');
  await once(socket, 'connect');
  const half = 'GET /api/workspaces HTTP/1.1\r\nHost: x\r\n';
  socket.write(half);
  let text = '';
  socket.on('data', (chunk) => (text += chunk));
  const ended = once(socket, 'close');
  // Once the daemon has read the half request, the connection is in the middle of a request (not
  // idle), and shutdown leaves it open. The HTTP parser reads straight from the socket, so no event
  // says so; the bytes read do.
  const [accept] = (await accepted) as [Socket];
  await eventually(() => accept.bytesRead >= half.length, 'the daemon to read the half request');
  const closing = daemon.close();
  await shutdownReachedServer(daemon);
  socket.write(`Authorization: Bearer ${token}\r\n\r\n`);
  await ended;
  await closing;
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
  assert.equal(status, 503, text);
  const parsed = assertConforms('GET', '/api/workspaces', {
    status,
    headers: { 'content-type': 'application/json' },
    text: body,
  }) as { diagnostic: { code: string } };
  assert.equal(parsed.diagnostic.code, 'shutting_down');
});

/**
 * Resolves once shutdown has reached the HTTP server: from then on every answer closes its
 * connection and a new request is 503. Fastify marks itself closing just before it stops listening,
 * and stopping listening is visible; nothing announces it, so it is polled.
 */
function shutdownReachedServer(daemon: { app: { server: { listening: boolean } } }): Promise<void> {
  return eventually(() => !daemon.app.server.listening, 'the shutdown to stop the HTTP server listening');
}
