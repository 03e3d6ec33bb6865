// Opens the store: embedded SQLite by default, PostgreSQL when the URL says so. Both go through
// Kysely so that every store module is written once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { migrationProvider } from './migrations/index.ts';
import type { Tables } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Tables>;
  dialect: Dialect;
  /**
   * PostgreSQL only: calls `onNotify` for every NOTIFY on `channel` (from any daemon sharing the
   * database), reconnecting when the connection drops. Absent on SQLite, where one daemon is all.
   */
  listen?(channel: string, onNotify: () => void): void;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` / `postgresql://…` selects PostgreSQL; anything else is a SQLite file path. */
  location: string;
  /** Bring the schema up to date on open (the default); upgrade tests open an old schema without it. */
  migrate?: boolean;
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = isPostgresUrl(options.location)
    ? openPostgres(options.location)
    : openSqlite(options.location);
  try {
    if (options.migrate !== false) await migrate(store.db);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(file);
  // WAL for concurrent readers; synchronous=FULL so an acknowledged write survives power loss.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh; reusing the prepared statement of an identical SQL text saves
 * SQLite's parse and plan on every call of the hot paths (claims, heartbeats, event appends).
 */
function withStatementCache(database: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        statement = database.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its connection must not crash the daemon; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<pg.Client>();
  let closed = false;
  const listen = (channel: string, onNotify: () => void): void => {
    if (closed) return;
    // A connection of its own: LISTEN is per connection and must outlive any one query.
    const client = new pg.Client({ connectionString: url });
    listeners.add(client);
    let retried = false;
    const retry = () => {
      if (retried || closed) return;
      retried = true;
      listeners.delete(client);
      void client.end().catch(() => {});
      // Whatever was missed while disconnected is read from the log on the next notification.
      setTimeout(() => {
        listen(channel, onNotify);
        onNotify();
      }, 1000).unref();
    };
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    client.on('error', retry);
    client.on('end', retry);
    client
      .connect()
      .then(() => client.query(`LISTEN ${channel}`))
      .catch(retry);
  };
  return {
    db,
    dialect: 'postgres',
    listen,
    close: async () => {
      closed = true;
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await db.destroy();
    },
  };
}

async function migrate(db: Kysely<Tables>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const where = failed ? ` (migration ${failed.migrationName})` : '';
    throw new Error(`database migration failed${where}: ${(error as Error).message ?? String(error)}`);
  }
}

/** True when `err` is a unique-constraint violation, on either dialect. */
export function uniqueViolationColumn(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: string; constraint?: string };
  if (e.code === '23505') return e.constraint ?? 'unknown';
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const match = /UNIQUE constraint failed: (\S+)/.exec(e.message);
    return match?.[1] ?? 'unknown';
  }
  return undefined;
}
