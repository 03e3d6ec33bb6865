// One event log for every source. Task events become the `task` scope of a single append-only,
// globally sequenced table; sessions (and next the network, squads and reviews) write to the same
// log in the transaction of their change. Durable consumers keep their position in event_cursors.
import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

export const migration0004EventLog: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('scope_kind', 'text', (c) => c.notNull())
      .addColumn('scope_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_ref', 'text', (c) => c.notNull())
      .addColumn('origin_kind', 'text', (c) => c.notNull())
      .addColumn('origin_ref', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('events_scope_idx')
      .on('events')
      .columns(['scope_kind', 'scope_id', 'seq'])
      .execute();
    // Every task event keeps its sequence number, so timelines, Last-Event-ID resumes and cursors
    // taken before the upgrade stay valid.
    await sql`
      insert into events (seq, id, scope_kind, scope_id, run_id, type, actor_kind, actor_ref,
                          origin_kind, origin_ref, payload, at)
      select seq, id, 'task', task_id, run_id, type, actor_kind, actor_ref,
             origin_kind, origin_ref, payload, timestamp
      from task_events`.execute(db);
    await db.schema.dropTable('task_events').execute();
    await sql`update counters set name = 'event_seq' where name = 'task_event_seq'`.execute(db);

    await db.schema
      .createTable('event_cursors')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('task_events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_ref', 'text', (c) => c.notNull())
      .addColumn('origin_kind', 'text', (c) => c.notNull())
      .addColumn('origin_ref', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('timestamp', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('task_events_task_idx')
      .on('task_events')
      .columns(['task_id', 'seq'])
      .execute();
    await sql`
      insert into task_events (seq, id, task_id, run_id, type, actor_kind, actor_ref, origin_kind,
                               origin_ref, payload, timestamp)
      select seq, id, scope_id, run_id, type, actor_kind, actor_ref, origin_kind, origin_ref, payload, at
      from events where scope_kind = 'task'`.execute(db);
    await sql`update counters set name = 'task_event_seq' where name = 'event_seq'`.execute(db);
    await db.schema.dropTable('event_cursors').execute();
    await db.schema.dropTable('events').execute();
  },
};
