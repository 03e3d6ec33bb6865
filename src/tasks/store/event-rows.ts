// The task scope of the one event log. Task events keep their familiar record shape (task_id,
// timestamp) for the kernel's views; underneath they are log events with scope `task`.
import type { Kysely } from 'kysely';
import type { Dialect } from '../../store/db.ts';
import { EventLogRows, type LogEvent } from '../../store/event-log.ts';
import type { Tables } from '../../store/schema.ts';
import type { EventRecord } from '../records.ts';

export type NewEvent = Omit<EventRecord, 'seq'>;

export class EventRows {
  readonly #log: EventLogRows;
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#log = new EventLogRows(db, dialect);
  }

  /** Appends task events to the log; returns them as log events too, for the daemon's live listeners. */
  async append(events: readonly NewEvent[]): Promise<{ records: EventRecord[]; logged: LogEvent[] }> {
    const logged = await this.#log.append(
      events.map((e) => ({
        id: e.id,
        scope_kind: 'task' as const,
        scope_id: e.task_id,
        run_id: e.run_id,
        type: e.type,
        actor: e.actor,
        origin: e.origin,
        payload: e.payload,
        at: e.timestamp,
      })),
    );
    const records = logged.map(toTaskEvent);
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
    return { records, logged };
  }

  async ofTask(taskId: string, after: number, limit: number): Promise<EventRecord[]> {
    return (await this.#log.ofScope('task', taskId, after, limit)).map(toTaskEvent);
  }

  /** The task's newest events, newest first. */
  async newestOfTask(taskId: string, limit: number): Promise<EventRecord[]> {
    return (await this.#log.newestOfScope('task', taskId, limit)).map(toTaskEvent);
  }

  /** The newest event about a run (through its task's index: a run's events are its task's). */
  async newestOfRun(taskId: string, runId: string): Promise<EventRecord | undefined> {
    const event = await this.#log.newestOfRun('task', taskId, runId);
    return event && toTaskEvent(event);
  }

  async ofTasks(taskIds: readonly string[], after: number, limit: number): Promise<EventRecord[]> {
    return (await this.#log.ofScopes('task', taskIds, after, limit)).map(toTaskEvent);
  }

  async removeOfTask(taskId: string): Promise<void> {
    await this.#log.removeScope('task', taskId);
  }

  async latestSeq(): Promise<number> {
    return this.#log.latestSeq();
  }
}

/** A task-scoped log event as the kernel's record. */
export function toTaskEvent(e: LogEvent): EventRecord {
  return {
    seq: e.seq,
    id: e.id,
    task_id: e.scope_id,
    run_id: e.run_id,
    type: e.type,
    actor: e.actor,
    origin: e.origin,
    payload: e.payload,
    timestamp: e.at,
  };
}
