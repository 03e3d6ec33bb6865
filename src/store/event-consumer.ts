// Durable consumers of the event log: each has a name and a cursor (the last sequence it has
// handled) kept in the database. A consumer reads the log after its cursor, hands each batch to its
// handler and only then moves the cursor, so every event is handled at least once, across crashes
// and restarts; it wakes on the bus rather than polling. Webhook bridges, the console's live feed and
// anything else that must not miss an event are consumers.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Store } from './db.ts';
import type { EventBus } from './event-bus.ts';
import { EventLogRows, type LogEvent } from './event-log.ts';
import type { Tables } from './schema.ts';

export class EventCursors {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  /** Where the consumer has got to; 0 (the beginning of the log) when it never ran. */
  async get(name: string): Promise<number> {
    const row = await this.#db
      .selectFrom('event_cursors')
      .select('seq')
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Moves the cursor forward (never back: a late, slower writer cannot undo progress). */
  async advance(name: string, seq: number, at: string): Promise<void> {
    await this.#db
      .insertInto('event_cursors')
      .values({ name, seq, updated_at: at })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ seq, updated_at: at }).where('event_cursors.seq', '<', seq),
      )
      .execute();
  }
}

export interface ConsumerOptions {
  /** Unique among consumers; the cursor is kept under it. */
  name: string;
  store: Store;
  bus: EventBus;
  clock: Clock;
  /** Handles a batch in sequence order; a throw leaves the cursor before the batch, to be retried. */
  handle: (events: readonly LogEvent[]) => Promise<void>;
  /** Called when a batch fails; the consumer tries again at the next event or `drain()`. */
  onError?: (err: unknown) => void;
  batchSize?: number;
}

export class EventConsumer {
  readonly #options: ConsumerOptions;
  readonly #batch: number;
  #unsubscribe: (() => void) | undefined;
  #running: Promise<number> | undefined;
  #again = false;

  constructor(options: ConsumerOptions) {
    this.#options = options;
    this.#batch = options.batchSize ?? 200;
  }

  /** Catches up with the log, then follows it as events are committed (here or by another daemon). */
  async start(): Promise<void> {
    this.#unsubscribe = this.#options.bus.subscribe(() => void this.drain().catch(() => {}));
    await this.drain();
  }

  /** Handles everything after the cursor; resolves with how many events were handled. */
  drain(): Promise<number> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let handled = 0;
      try {
        do {
          this.#again = false;
          for (;;) {
            const n = await this.#step();
            handled += n;
            if (n < this.#batch) break;
          }
        } while (this.#again);
      } catch (err) {
        this.#options.onError?.(err);
      } finally {
        this.#running = undefined;
      }
      return handled;
    })();
    return this.#running;
  }

  /** Stops following the bus and waits for a batch in hand to finish. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#running;
  }

  /** One batch. On PostgreSQL the cursor row is locked for the batch, so daemons sharing the database hand each batch to one handler. */
  async #step(): Promise<number> {
    const { store, name } = this.#options;
    if (store.dialect !== 'postgres') return this.#batchOn(store.db);
    return store.db.transaction().execute(async (trx) => {
      await sql`insert into event_cursors (name, seq, updated_at) values (${name}, 0, '') on conflict (name) do nothing`.execute(
        trx,
      );
      const locked =
        await sql`select seq from event_cursors where name = ${name} for update skip locked`.execute(trx);
      // Another daemon is handling this consumer's next batch; its own wake-ups carry it on.
      if (locked.rows.length === 0) return 0;
      return this.#batchOn(trx);
    });
  }

  async #batchOn(db: Kysely<Tables>): Promise<number> {
    const { store, name, clock, handle } = this.#options;
    const cursors = new EventCursors(db);
    const after = await cursors.get(name);
    const events = await new EventLogRows(db, store.dialect).since(after, this.#batch);
    if (events.length === 0) return 0;
    await handle(events);
    await cursors.advance(name, events[events.length - 1]!.seq, clock.now().toISOString());
    return events.length;
  }
}
