// A session's event log: every runner event is appended (durably, in order) and then handed to live
// subscribers, so a stream that replays the log and then follows it sees each event exactly once.
// Streamed text arrives in many small chunks; consecutive chunks are merged into one event so that a
// long answer costs a few writes, not hundreds.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { SerialQueue } from '../lib/serial.ts';
import type { SessionEventRow, SessionStore } from './store.ts';

const MERGED_TYPES = new Set(['agent_message', 'agent_thought']);
const MERGE_WINDOW_MS = 200;
const MERGE_MAX_CHARS = 4096;

interface Pending {
  type: string;
  text: string;
  timer: NodeJS.Timeout;
}

export class SessionEventLog {
  readonly #store: SessionStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #bus = new EventEmitter();
  readonly #queues = new Map<string, SerialQueue>();
  readonly #pending = new Map<string, Pending>();

  constructor(deps: { store: SessionStore; clock: Clock; logger: Logger }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#bus.setMaxListeners(0);
  }

  /** Resolves once the event (and any text merged before it) is stored and published. */
  append(sessionId: string, type: string, data: Record<string, unknown>): Promise<void> {
    if (MERGED_TYPES.has(type) && typeof data.text === 'string') {
      const pending = this.#pending.get(sessionId);
      if (pending && pending.type === type) {
        pending.text += data.text;
        if (pending.text.length < MERGE_MAX_CHARS) return Promise.resolve();
        return this.flush(sessionId);
      }
      const flushed = pending ? this.flush(sessionId) : Promise.resolve();
      const timer = setTimeout(() => void this.flush(sessionId), MERGE_WINDOW_MS);
      timer.unref();
      this.#pending.set(sessionId, { type, text: data.text, timer });
      return flushed;
    }
    const flushed = this.flush(sessionId);
    const written = this.#write(sessionId, type, data);
    return Promise.all([flushed, written]).then(() => undefined);
  }

  /** Writes out merged text still waiting; call before anything that must come after it. */
  flush(sessionId: string): Promise<void> {
    const pending = this.#pending.get(sessionId);
    if (!pending) return this.#queue(sessionId).run(async () => {});
    this.#pending.delete(sessionId);
    clearTimeout(pending.timer);
    return this.#write(sessionId, pending.type, { text: pending.text });
  }

  subscribe(sessionId: string, listener: (event: SessionEventRow) => void): () => void {
    this.#bus.on(sessionId, listener);
    return () => this.#bus.off(sessionId, listener);
  }

  list(sessionId: string, afterSeq: number, limit: number): Promise<SessionEventRow[]> {
    return this.#store.listEvents(sessionId, afterSeq, limit);
  }

  #write(sessionId: string, type: string, data: Record<string, unknown>): Promise<void> {
    const created_at = this.#clock.now().toISOString();
    return this.#queue(sessionId).run(async () => {
      try {
        const row = await this.#store.appendEvent({ session_id: sessionId, type, data, created_at });
        this.#bus.emit(sessionId, row);
      } catch (err) {
        // An event that cannot be stored must not take the session down with it.
        this.#logger.error({ err, session_id: sessionId, type }, 'cannot store a session event');
      }
    });
  }

  #queue(sessionId: string): SerialQueue {
    let queue = this.#queues.get(sessionId);
    if (!queue) {
      queue = new SerialQueue();
      this.#queues.set(sessionId, queue);
    }
    return queue;
  }

  /** The session has ended and its last event is written: its queue can go. */
  forget(sessionId: string): void {
    this.#queues.delete(sessionId);
  }
}
