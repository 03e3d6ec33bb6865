// SQL over the task event log: one global sequence, appended in the transaction of the change.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../store/db.ts';
import type { Tables } from '../../store/schema.ts';
import { type EventRecord, eventFromRow } from '../records.ts';
import { chunks } from './task-rows.ts';

export type NewEvent = Omit<EventRecord, 'seq'>;

/** The PostgreSQL NOTIFY channel that tells every daemon that task events were committed. */
export const TASK_EVENTS_CHANNEL = 'agh_task_events';

export class EventRows {
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /**
   * Takes the next `events.length` sequence numbers and writes the events. The counter row stays
   * locked until commit, so events become visible in sequence order (on SQLite writers are one at a
   * time anyway).
   */
  async append(events: readonly NewEvent[]): Promise<EventRecord[]> {
    if (events.length === 0) return [];
    const bumped = await this.#db
      .updateTable('counters')
      .set({ value: sql`value + ${events.length}` })
      .where('name', '=', 'task_event_seq')
      .returning('value')
      .executeTakeFirstOrThrow();
    const first = Number(bumped.value) - events.length + 1;
    const records = events.map((e, i) => ({ ...e, seq: first + i }));
    for (const chunk of chunks(records, 100)) {
      await this.#db
        .insertInto('task_events')
        .values(
          chunk.map((e) => ({
            seq: e.seq,
            id: e.id,
            task_id: e.task_id,
            run_id: e.run_id,
            type: e.type,
            actor_kind: e.actor.kind,
            actor_ref: e.actor.ref,
            origin_kind: e.origin.kind,
            origin_ref: e.origin.ref,
            payload: JSON.stringify(e.payload),
            timestamp: e.timestamp,
          })),
        )
        .execute();
    }
    // Other daemons on the same PostgreSQL hear of it at commit, and read the new events from the log.
    if (this.#dialect === 'postgres')
      await sql`select pg_notify(${TASK_EVENTS_CHANNEL}, '')`.execute(this.#db);
    // Each task remembers its newest event: latest_event_seq and the activity clock of lists.
    const newest = new Map<string, EventRecord>();
    for (const e of records) newest.set(e.task_id, e);
    for (const e of newest.values()) {
      await this.#db
        .updateTable('tasks')
        .set({ latest_event_seq: e.seq, last_activity_at: e.timestamp })
        .where('id', '=', e.task_id)
        .execute();
    }
    return records;
  }

  async ofTask(taskId: string, after: number, limit: number): Promise<EventRecord[]> {
    let q = this.#db
      .selectFrom('task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('seq', '>', after)
      .orderBy('seq');
    if (limit > 0) q = q.limit(limit);
    return (await q.execute()).map(eventFromRow);
  }

  /** The task's newest events, newest first. */
  async newestOfTask(taskId: string, limit: number): Promise<EventRecord[]> {
    const rows = await this.#db
      .selectFrom('task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  /** The newest event about a run (through its task's index: a run's events are its task's). */
  async newestOfRun(taskId: string, runId: string): Promise<EventRecord | undefined> {
    const row = await this.#db
      .selectFrom('task_events')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('run_id', '=', runId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && eventFromRow(row);
  }

  async ofTasks(taskIds: readonly string[], after: number, limit: number): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    for (const chunk of chunks(taskIds)) {
      const rows = await this.#db
        .selectFrom('task_events')
        .selectAll()
        .where('task_id', 'in', chunk)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      out.push(...rows.map(eventFromRow));
    }
    return out.sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  /** Every event after `after`, across all tasks: how other daemons' events reach this one. */
  async since(after: number, limit: number): Promise<EventRecord[]> {
    const rows = await this.#db
      .selectFrom('task_events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(eventFromRow);
  }

  async latestSeq(): Promise<number> {
    const row = await this.#db
      .selectFrom('counters')
      .select('value')
      .where('name', '=', 'task_event_seq')
      .executeTakeFirst();
    return Number(row?.value ?? 0);
  }
}
