// Committed events of the one log, handed to this daemon's live listeners (streams, claim-next
// waiters, the dispatcher) in sequence order, each exactly once. Writers commit one at a time, so the durable log is always a
// gap-free prefix of the sequence: when a batch does not follow on from the last event delivered
// (another daemon wrote in between, or two commits resolved out of order) the bus reads the missing
// events from the log instead of guessing.
import type { Store } from './db.ts';
import { EVENTS_CHANNEL, EventLogRows, type LogEvent } from './event-log.ts';

export type EventListener = (event: LogEvent) => void;
export type EventReader = (after: number, limit: number) => Promise<LogEvent[]>;

const CATCH_UP_PAGE = 500;

export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #read: EventReader;
  #lastSeq: number;
  #catchingUp: Promise<void> | undefined;
  #again = false;

  constructor(read: EventReader, startAfter: number) {
    this.#read = read;
    this.#lastSeq = startAfter;
  }

  /** The highest sequence delivered so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Hands over events that were just committed. */
  publish(events: readonly LogEvent[]): void {
    if (events.length === 0) return;
    if (this.#catchingUp === undefined && events[0]!.seq === this.#lastSeq + 1) {
      this.#deliver(events);
      return;
    }
    if (events[events.length - 1]!.seq > this.#lastSeq) void this.catchUp();
  }

  /** Reads and delivers whatever the log holds beyond the last delivered event. */
  catchUp(): Promise<void> {
    if (this.#catchingUp) {
      this.#again = true;
      return this.#catchingUp;
    }
    this.#catchingUp = (async () => {
      try {
        do {
          this.#again = false;
          for (;;) {
            const page = await this.#read(this.#lastSeq, CATCH_UP_PAGE);
            this.#deliver(page);
            if (page.length < CATCH_UP_PAGE) break;
          }
        } while (this.#again);
      } catch {
        // The next commit or poll tries again; listeners lose nothing, they only hear it later.
      } finally {
        this.#catchingUp = undefined;
      }
    })();
    return this.#catchingUp;
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #deliver(events: readonly LogEvent[]): void {
    for (const event of events) {
      if (event.seq <= this.#lastSeq) continue;
      this.#lastSeq = event.seq;
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // A failing listener must not keep the event from the others.
        }
      }
    }
  }
}

/**
 * The daemon's one bus over the log, starting after what the log holds now (the past is read from
 * the log, not heard). On PostgreSQL it also wakes for commits of other daemons sharing the database.
 */
export async function openEventBus(store: Store): Promise<EventBus> {
  const log = new EventLogRows(store.db, store.dialect);
  const bus = new EventBus((after, limit) => log.since(after, limit), await log.latestSeq());
  store.listen?.(EVENTS_CHANNEL, () => void bus.catchUp());
  return bus;
}
