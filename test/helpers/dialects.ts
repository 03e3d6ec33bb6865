// Runs a suite once on SQLite and once on a real PostgreSQL (skipped loudly when no server binaries).
import { after, before, describe } from 'node:test';
import { postgresUnavailable, startPostgres, type TestPostgres } from './postgres.ts';

export type DialectName = 'sqlite' | 'postgres';

/** `newDatabase()` gives a fresh database location: undefined for SQLite (a new file), a URL for PostgreSQL. */
export function forEachDialect(
  name: string,
  body: (ctx: { dialect: DialectName; newDatabase: () => Promise<string | undefined> }) => void,
): void {
  describe(`${name} [sqlite]`, () => body({ dialect: 'sqlite', newDatabase: async () => undefined }));

  const skip = postgresUnavailable();
  describe(`${name} [postgres]`, { skip }, () => {
    let pg: TestPostgres | undefined;
    before(async () => {
      pg = await startPostgres();
    });
    after(async () => pg?.stop());
    body({
      dialect: 'postgres',
      newDatabase: async () => {
        if (!pg) throw new Error('PostgreSQL did not start');
        return pg.newDatabase();
      },
    });
  });
}
