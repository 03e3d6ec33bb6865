// npm run bench:sessions — what a session costs: starting one (process launch + ACP handshake),
// one prompt turn, and stopping it, over real HTTP against the fake ACP agent (a real Node process
// speaking ACP), so the figures are the daemon's overhead plus one Node start per session.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createServices } from '../src/daemon/services.ts';
import { buildApp } from '../src/http/app.ts';
import { systemClock } from '../src/lib/clock.ts';
import { openStore } from '../src/store/db.ts';
import { putFakeAcpAgent } from '../test/helpers/agents.ts';
import { measure, report } from './measure.ts';

const TOKEN = 'bench-token-0123456789';
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 20);
const TURNS = Number(process.env.BENCH_TURNS ?? 500);

const home = mkdtempSync(join(tmpdir(), 'agh-bench-'));
const root = join(home, 'project');
mkdirSync(root);
putFakeAcpAgent(root, 'echo');
const store = await openStore({ location: join(home, 'agh.db') });
let url = '';
const logger = pino({ level: 'silent' });
const services = await createServices({ store, clock: systemClock, home, logger, apiUrl: () => url });
const app = await buildApp({
  services,
  operatorToken: TOKEN,
  dialect: store.dialect,
  clock: systemClock,
  logger,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const call = async (path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: JSON.stringify(body ?? {}),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { session: { id: string }; turn: { state: string } };
};

try {
  const ids: string[] = [];
  const start = await measure(SESSIONS, 1, async () => {
    ids.push((await call('/api/sessions', { agent_name: 'echo', workspace_path: root })).session.id);
  });
  report('sqlite', 'POST /api/sessions (launch + ACP handshake)', start);
  const id = ids[0] as string;
  const turns = await measure(TURNS, 1, async (i) => {
    const turn = (await call(`/api/sessions/${id}/prompt`, { text: `turn ${i}`, wait: true })).turn;
    if (turn.state !== 'completed') throw new Error(`turn ${i}: ${JSON.stringify(turn)}`);
  });
  report('sqlite', 'POST /api/sessions/{id}/prompt (wait, one turn)', turns);
  const stop = await measure(ids.length, 1, async (i) => {
    await call(`/api/sessions/${ids[i]}/stop`, {});
  });
  report('sqlite', 'POST /api/sessions/{id}/stop (process tree ends)', stop);
} finally {
  await services.sessions.shutdown();
  await app.close();
  await store.close();
  rmSync(home, { recursive: true, force: true });
}
