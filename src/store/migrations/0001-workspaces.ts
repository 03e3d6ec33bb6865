import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const migration0001Workspaces: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('workspaces')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('stable_id', 'text', (c) => c.notNull())
      .addColumn('root_dir', 'text', (c) => c.notNull())
      .addColumn('root_dev', 'text', (c) => c.notNull())
      .addColumn('root_ino', 'text', (c) => c.notNull())
      .addColumn('add_dirs', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('default_agent', 'text')
      .addColumn('sandbox_ref', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('workspaces_root_dir_unique', ['root_dir'])
      .addUniqueConstraint('workspaces_name_unique', ['name'])
      .execute();
    await db.schema.createIndex('workspaces_stable_id_idx').on('workspaces').column('stable_id').execute();
    await db.schema
      .createIndex('workspaces_root_inode_idx')
      .on('workspaces')
      .columns(['root_dev', 'root_ino'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('workspaces').execute();
  },
};
