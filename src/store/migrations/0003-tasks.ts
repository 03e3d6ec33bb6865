import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// The task kernel: tasks, their runs (the only work queue), dependency edges, the
// append-only event log with one global sequence, run idempotency keys and the scheduler switch.
export const migration0003Tasks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('identifier', 'text')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text')
      .addColumn('parent_task_id', 'text')
      .addColumn('depth', 'integer', (c) => c.notNull())
      .addColumn('network_channel', 'text')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('priority', 'text', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('auto_enqueue_on_ready', 'integer', (c) => c.notNull())
      // The derived status, reconciled on every write.
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('approval_policy', 'text', (c) => c.notNull())
      .addColumn('approval_state', 'text', (c) => c.notNull())
      .addColumn('owner_kind', 'text')
      .addColumn('owner_ref', 'text')
      .addColumn('current_run_id', 'text')
      .addColumn('paused', 'integer', (c) => c.notNull())
      .addColumn('paused_by', 'text')
      .addColumn('paused_at', 'text')
      .addColumn('paused_reason', 'text')
      // The nearest paused task among this one and its ancestors; kept on pause, resume and child
      // creation so that claim eligibility is one column test, not a walk up the tree.
      .addColumn('paused_by_task_id', 'text')
      .addColumn('created_by_kind', 'text', (c) => c.notNull())
      .addColumn('created_by_ref', 'text', (c) => c.notNull())
      .addColumn('origin_kind', 'text', (c) => c.notNull())
      .addColumn('origin_ref', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text')
      .addColumn('latest_event_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_activity_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .execute();
    await db.schema.createIndex('tasks_parent_idx').on('tasks').column('parent_task_id').execute();
    await db.schema
      .createIndex('tasks_activity_idx')
      .on('tasks')
      .columns(['last_activity_at', 'id'])
      .execute();
    await db.schema
      .createIndex('tasks_workspace_idx')
      .on('tasks')
      .columns(['workspace_id', 'status'])
      .execute();

    await db.schema
      .createTable('task_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      // The task's priority, copied so that the queue is read in claim order straight off an index.
      .addColumn('priority_weight', 'integer', (c) => c.notNull())
      .addColumn('previous_run_id', 'text')
      .addColumn('failure_kind', 'text')
      .addColumn('claimed_by_kind', 'text')
      .addColumn('claimed_by_ref', 'text')
      .addColumn('session_id', 'text')
      .addColumn('origin_kind', 'text', (c) => c.notNull())
      .addColumn('origin_ref', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('network_channel', 'text')
      // SHA-256 of the claim token; the token itself is never stored.
      .addColumn('claim_token_hash', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('heartbeat_at', 'text')
      .addColumn('coordination_channel_id', 'text')
      .addColumn('queued_at', 'text', (c) => c.notNull())
      .addColumn('claimed_at', 'text')
      .addColumn('started_at', 'text')
      .addColumn('ended_at', 'text')
      .addColumn('error', 'text')
      .addColumn('metadata', 'text')
      .addColumn('result', 'text')
      // Starvation ladder: escalation cycles while queued, and the tiers done.
      .addColumn('wake_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('wake_tier', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('task_runs_task_idx')
      .on('task_runs')
      .columns(['task_id', 'attempt'])
      .unique()
      .execute();
    // Claim order (priority, then age): claim-next reads the first eligible row, it does not sort.
    await db.schema
      .createIndex('task_runs_queue_idx')
      .on('task_runs')
      .expression(sql`status, priority_weight desc, queued_at, id`)
      .execute();
    await db.schema
      .createIndex('task_runs_lease_idx')
      .on('task_runs')
      .columns(['status', 'lease_until'])
      .execute();
    await db.schema
      .createIndex('task_runs_session_idx')
      .on('task_runs')
      .columns(['session_id', 'status'])
      .execute();
    // The database itself refuses a second open run of a task: work is never queued twice.
    await db.schema
      .createIndex('task_runs_one_open_idx')
      .on('task_runs')
      .column('task_id')
      .unique()
      .where(sql<boolean>`status in ('queued', 'claimed', 'starting', 'running', 'needs_attention')`)
      .execute();

    await db.schema
      .createTable('task_dependencies')
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('depends_on_task_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_dependencies_pk', ['task_id', 'depends_on_task_id', 'kind'])
      .execute();
    await db.schema
      .createIndex('task_dependencies_reverse_idx')
      .on('task_dependencies')
      .column('depends_on_task_id')
      .execute();

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

    // One row per counter; bumping it takes a row lock held to commit, so on PostgreSQL events
    // commit in sequence order and a reader never sees sequence N+1 before N.
    await db.schema
      .createTable('counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await db
      .insertInto('counters' as never)
      .values({ name: 'task_event_seq', value: 0 } as never)
      .execute();

    await db.schema
      .createTable('task_run_idempotency')
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('origin_kind', 'text', (c) => c.notNull())
      .addColumn('origin_ref', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_run_idempotency_pk', ['key', 'origin_kind', 'origin_ref'])
      .execute();
    await db.schema
      .createIndex('task_run_idempotency_task_idx')
      .on('task_run_idempotency')
      .column('task_id')
      .execute();

    await db.schema
      .createTable('scheduler_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('paused', 'integer', (c) => c.notNull())
      .addColumn('paused_by', 'text')
      .addColumn('paused_at', 'text')
      .addColumn('paused_reason', 'text')
      .addColumn('updated_at', 'text')
      .execute();
    await db
      .insertInto('scheduler_state' as never)
      .values({ id: 1, paused: 0 } as never)
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'scheduler_state',
      'task_run_idempotency',
      'counters',
      'task_events',
      'task_dependencies',
      'task_runs',
      'tasks',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
