// Runs a suite once on SQLite and once on a real PostgreSQL (skipped loudly when no server binaries).
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { startTestApp, type TestApp, type TestAppOptions } from './app.ts';
import { postgresUnavailable, startPostgres, type TestPostgres } from './postgres.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface DialectContext {
  dialect: DialectName;
  /** A fresh database location: undefined for SQLite (a new file), a URL for PostgreSQL. */
  newDatabase: () => Promise<string | undefined>;
}

export function forEachDialect(name: string, body: (ctx: DialectContext) => void): void {
  describe(`${name} [sqlite]`, () => body({ dialect: 'sqlite', newDatabase: async () => undefined }));

  const skip = postgresUnavailable();
  describe(`${name} [postgres]`, { skip }, () => {
    let pg: TestPostgres | undefined;
    before(async () => {
      pg = await startPostgres();
    });
    body({
      dialect: 'postgres',
      newDatabase: async () => {
        if (!pg) throw new Error('PostgreSQL did not start');
        return pg.newDatabase();
      },
    });
    // Hooks run in the order they were added: this one after the body's own, which close the
    // daemons that still use the databases it drops.
    after(async () => pg?.stop());
  });
}

/** An in-process daemon on a fresh database of the suite's dialect. */
export async function startTestAppOn(
  ctx: DialectContext,
  options: Omit<TestAppOptions, 'database'> = {},
): Promise<TestApp> {
  const database = await ctx.newDatabase();
  return startTestApp({ ...options, ...(database !== undefined && { database }) });
}

/** A fresh in-process daemon on a fresh database before each test; `get()` returns the current one. */
export function freshAppPerTest(ctx: DialectContext): { get: () => TestApp } {
  let app: TestApp | undefined;
  beforeEach(async () => {
    app = await startTestAppOn(ctx);
  });
  afterEach(async () => app?.close());
  return {
    get: () => {
      if (!app) throw new Error('no test app: freshAppPerTest only works inside tests');
      return app;
    },
  };
}
