// The task kernel's store: reads go straight to the database; writes run in one transaction that
// holds the kernel's write lock, so the derived statuses, the one-open-run rule and the event
// sequence stay consistent even with several daemons on one PostgreSQL.
import { type Kysely, sql } from 'kysely';
import type { Dialect, Store } from '../../store/db.ts';
import type { Tables } from '../../store/schema.ts';
import { EventRows } from './event-rows.ts';
import { RunRows } from './run-rows.ts';
import { SchedulerRows } from './scheduler-rows.ts';
import { TaskRows } from './task-rows.ts';

export type { ClaimCriteria, RunFilter } from './run-rows.ts';
export type { DependencyRow, TaskListFilter } from './task-rows.ts';
export { type NewEvent, toTaskEvent } from './event-rows.ts';
export type { SchedulerRow } from './scheduler-rows.ts';

/** Arbitrary, fixed: the advisory lock every daemon takes for task-kernel writes on PostgreSQL. */
const KERNEL_LOCK_KEY = 7_204_311;

export interface TaskQueries {
  tasks: TaskRows;
  runs: RunRows;
  events: EventRows;
  scheduler: SchedulerRows;
}

export class TaskStore {
  readonly read: TaskQueries;
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(store: Store) {
    this.#db = store.db;
    this.#dialect = store.dialect;
    this.read = queries(store.db, store.dialect);
  }

  get dialect(): Dialect {
    return this.#dialect;
  }

  /**
   * Runs `fn` in one write transaction. SQLite has one writer (one connection, serialised by the
   * driver); PostgreSQL takes a transaction-scoped advisory lock, so writers from every daemon queue
   * up instead of deadlocking on each other's rows.
   */
  async write<T>(fn: (q: TaskQueries) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      if (this.#dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(${KERNEL_LOCK_KEY})`.execute(trx);
      return fn(queries(trx, this.#dialect));
    });
  }
}

function queries(db: Kysely<Tables>, dialect: Dialect): TaskQueries {
  return {
    tasks: new TaskRows(db, dialect),
    runs: new RunRows(db, dialect),
    events: new EventRows(db, dialect),
    scheduler: new SchedulerRows(db),
  };
}
