// SQL over the one event log: every source appends here, in the transaction of its change, and takes
// the next numbers of one global sequence. The counter row stays locked until commit, so events
// become visible in sequence order on PostgreSQL too (SQLite has one writer anyway): the durable log
// is always a gap-free prefix, which is what lets readers and consumers resume from a number.
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ActorRef, OriginRef } from '../contract/actors.ts';
import type { EventScopeKind } from '../contract/events.ts';
import type { Dialect } from './db.ts';
import type { EventTable, Tables } from './schema.ts';

export interface LogEvent {
  seq: number;
  id: string;
  scope_kind: EventScopeKind;
  scope_id: string;
  run_id: string | null;
  type: string;
  actor: ActorRef;
  origin: OriginRef;
  payload: Record<string, unknown>;
  at: string;
}

export type NewLogEvent = Omit<LogEvent, 'seq'>;

/** The PostgreSQL NOTIFY channel that tells every daemon that events were committed. */
export const EVENTS_CHANNEL = 'agh_events';

const SEQUENCE = 'event_seq';
const IN_LIST_CHUNK = 500;

export class EventLogRows {
  readonly #db: Kysely<Tables>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Tables>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /** Takes the next `events.length` sequence numbers and writes the events. Call inside a transaction. */
  async append(events: readonly NewLogEvent[]): Promise<LogEvent[]> {
    if (events.length === 0) return [];
    const bumped = await this.#db
      .updateTable('counters')
      .set({ value: sql`value + ${events.length}` })
      .where('name', '=', SEQUENCE)
      .returning('value')
      .executeTakeFirstOrThrow();
    const first = Number(bumped.value) - events.length + 1;
    const records = events.map((e, i) => ({ ...e, seq: first + i }));
    for (let i = 0; i < records.length; i += 100) {
      await this.#db
        .insertInto('events')
        .values(records.slice(i, i + 100).map(toRow))
        .execute();
    }
    // Other daemons on the same PostgreSQL hear of it at commit, and read the new events from the log.
    if (this.#dialect === 'postgres') await sql`select pg_notify(${EVENTS_CHANNEL}, '')`.execute(this.#db);
    return records;
  }

  /** Every event after `after`, whatever its scope: how live listeners and consumers catch up. */
  async since(after: number, limit: number): Promise<LogEvent[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** One scope's events after `after`, oldest first; `limit` 0 means all. */
  async ofScope(kind: EventScopeKind, id: string, after: number, limit: number): Promise<LogEvent[]> {
    let q = this.#db
      .selectFrom('events')
      .selectAll()
      .where('scope_kind', '=', kind)
      .where('scope_id', '=', id)
      .where('seq', '>', after)
      .orderBy('seq');
    if (limit > 0) q = q.limit(limit);
    return (await q.execute()).map(fromRow);
  }

  /** One scope's newest events, newest first. */
  async newestOfScope(kind: EventScopeKind, id: string, limit: number): Promise<LogEvent[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('scope_kind', '=', kind)
      .where('scope_id', '=', id)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** The newest event of one run within its scope, if any. */
  async newestOfRun(kind: EventScopeKind, id: string, runId: string): Promise<LogEvent | undefined> {
    const row = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('scope_kind', '=', kind)
      .where('scope_id', '=', id)
      .where('run_id', '=', runId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** The events of several scopes of one kind after `after`, merged in sequence order. */
  async ofScopes(
    kind: EventScopeKind,
    ids: readonly string[],
    after: number,
    limit: number,
  ): Promise<LogEvent[]> {
    const out: LogEvent[] = [];
    for (let i = 0; i < ids.length; i += IN_LIST_CHUNK) {
      const rows = await this.#db
        .selectFrom('events')
        .selectAll()
        .where('scope_kind', '=', kind)
        .where('scope_id', 'in', ids.slice(i, i + IN_LIST_CHUNK))
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      out.push(...rows.map(fromRow));
    }
    return out.sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  /** Forgets a scope's events (a deleted task's history goes with it). */
  async removeScope(kind: EventScopeKind, id: string): Promise<void> {
    await this.#db.deleteFrom('events').where('scope_kind', '=', kind).where('scope_id', '=', id).execute();
  }

  async latestSeq(): Promise<number> {
    const row = await this.#db
      .selectFrom('counters')
      .select('value')
      .where('name', '=', SEQUENCE)
      .executeTakeFirst();
    return Number(row?.value ?? 0);
  }
}

function toRow(e: LogEvent) {
  return {
    seq: e.seq,
    id: e.id,
    scope_kind: e.scope_kind,
    scope_id: e.scope_id,
    run_id: e.run_id,
    type: e.type,
    actor_kind: e.actor.kind,
    actor_ref: e.actor.ref,
    origin_kind: e.origin.kind,
    origin_ref: e.origin.ref,
    payload: JSON.stringify(e.payload),
    at: e.at,
  };
}

function fromRow(row: Selectable<EventTable>): LogEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    scope_kind: row.scope_kind as EventScopeKind,
    scope_id: row.scope_id,
    run_id: row.run_id,
    type: row.type,
    actor: { kind: row.actor_kind, ref: row.actor_ref } as ActorRef,
    origin: { kind: row.origin_kind, ref: row.origin_ref } as OriginRef,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    at: row.at,
  };
}
