// An in-process daemon for API tests: a temporary AGH_HOME, a real store (SQLite file or PostgreSQL
// database) and the real Fastify app, driven through the contract-checking Api helper.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FileConfig } from '../../src/settings/config-file.ts';
import { createServices, type Services } from '../../src/daemon/services.ts';
import { buildApp, type ZodApp } from '../../src/http/app.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { Api } from './api.ts';

export const TEST_TOKEN = 'test-operator-token-0123456789';

export interface TestApp {
  api: Api;
  app: ZodApp;
  services: Services;
  /** Where the app listens (agents call back here). */
  url: string;
  store: Store;
  clock: ManualClock;
  home: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** A postgres:// URL, or omitted for a fresh SQLite file. */
  database?: string;
  config?: FileConfig;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const home = scratchDir('agh-home-');
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');
  const store = await openStore({ location: options.database ?? join(home, 'agh.db') });
  const logger = pino({ level: process.env.AGH_TEST_LOG ?? 'silent' });
  let url = '';
  const services = await createServices({
    store,
    clock,
    home,
    logger,
    apiUrl: () => url,
    // The dispatcher starts sessions for queued work; tests that want it turn it on.
    file: { dispatcher: { enabled: false }, ...options.config },
  });
  const app = await buildApp({ services, operatorToken: TEST_TOKEN, dialect: store.dialect, clock, logger });
  // Agents started by tests call back over real HTTP, so the app listens on a free loopback port.
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    api: new Api(app, TEST_TOKEN),
    app,
    store,
    clock,
    home,
    services,
    url,
    async close() {
      await services.dispatcher.close();
      await services.sessions.shutdown();
      await app.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

let scratchBase: string | undefined;

/** A fresh temporary directory, removed when the test process exits. */
export function scratchDir(prefix = 'agh-ws-'): string {
  if (!scratchBase) {
    const base = mkdtempSync(join(tmpdir(), `agh-test-${process.pid}-`));
    process.once('exit', () => rmSync(base, { recursive: true, force: true }));
    scratchBase = base;
  }
  return mkdtempSync(join(scratchBase, prefix));
}
