// Versioned migrations, applied in key order at boot. The same set runs on SQLite and PostgreSQL, so
// only portable DDL belongs here. Never edit a migration that has shipped: add a new one.
import type { Migration, MigrationProvider } from 'kysely/migration';
import { migration0001Workspaces } from './0001-workspaces.ts';
import { migration0002Sessions } from './0002-sessions.ts';
import { migration0003Tasks } from './0003-tasks.ts';
import { migration0004EventLog } from './0004-event-log.ts';

export const MIGRATIONS: Record<string, Migration> = {
  '0001-workspaces': migration0001Workspaces,
  '0002-sessions': migration0002Sessions,
  '0003-tasks': migration0003Tasks,
  '0004-event-log': migration0004EventLog,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
