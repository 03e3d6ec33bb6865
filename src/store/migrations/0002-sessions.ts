import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const migration0002Sessions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // No foreign key: a stopped session outlives its workspace's registration.
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('workspace_path', 'text', (c) => c.notNull())
      .addColumn('agent_name', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('runner', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('channel', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('stop_reason', 'text')
      .addColumn('stop_detail', 'text')
      .addColumn('failure_kind', 'text')
      .addColumn('failure_summary', 'text')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer')
      .addColumn('acp_session_id', 'text')
      .addColumn('acp_caps', 'text')
      .addColumn('token_hash', 'text')
      .addColumn('parent_session_id', 'text')
      .addColumn('root_session_id', 'text', (c) => c.notNull())
      .addColumn('spawn_depth', 'integer', (c) => c.notNull())
      .addColumn('spawn_role', 'text')
      .addColumn('ttl_expires_at', 'text')
      .addColumn('auto_stop_on_parent', 'integer', (c) => c.notNull())
      .addColumn('spawn_budget', 'text', (c) => c.notNull())
      .addColumn('permission_policy', 'text', (c) => c.notNull())
      .addColumn('prompt_overlay', 'text')
      .addColumn('permission_mode', 'text', (c) => c.notNull())
      .addColumn('last_activity_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('stopped_at', 'text')
      .execute();
    await db.schema
      .createIndex('sessions_workspace_state_idx')
      .on('sessions')
      .columns(['workspace_id', 'state'])
      .execute();
    await db.schema.createIndex('sessions_parent_idx').on('sessions').column('parent_session_id').execute();
    await db.schema
      .createIndex('sessions_owner_state_idx')
      .on('sessions')
      .columns(['owner', 'state'])
      .execute();
    await db.schema
      .createIndex('sessions_token_hash_idx')
      .on('sessions')
      .column('token_hash')
      .unique()
      .execute();

    await db.schema
      .createTable('session_events')
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('session_events_pk', ['session_id', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('session_events').execute();
    await db.schema.dropTable('sessions').execute();
  },
};
