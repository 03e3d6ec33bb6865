// What every task service shares: the store, the clock, the event bus, and `write`, which runs one
// unit of work, appends its events in the same transaction and publishes them once committed.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Store } from '../store/db.ts';
import { TaskEventBus } from './bus.ts';
import type { EventRecord } from './records.ts';
import { TASK_EVENTS_CHANNEL, type TaskQueries, TaskStore } from './store/index.ts';
import type { Actor } from './types.ts';
import { Unit } from './unit.ts';

export class TaskKernel {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: TaskEventBus;

  private constructor(store: TaskStore, clock: Clock, logger: Logger, bus: TaskEventBus) {
    this.store = store;
    this.clock = clock;
    this.logger = logger;
    this.bus = bus;
  }

  static async open(deps: { store: Store; clock: Clock; logger: Logger }): Promise<TaskKernel> {
    const store = new TaskStore(deps.store);
    // Live listeners hear only what happens from now on; the past is in the log.
    const start = await store.read.events.latestSeq();
    const bus = new TaskEventBus((after, limit) => store.read.events.since(after, limit), start);
    // Events other daemons commit (PostgreSQL) reach this daemon's streams, waiters and dispatcher.
    deps.store.listen?.(TASK_EVENTS_CHANNEL, () => void bus.catchUp());
    return new TaskKernel(store, deps.clock, deps.logger, bus);
  }

  get read(): TaskQueries {
    return this.store.read;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  async write<T>(actor: Actor, fn: (unit: Unit) => Promise<T>): Promise<T> {
    let events: EventRecord[] = [];
    const result = await this.store.write(async (q) => {
      const unit = new Unit(q, this.now(), actor);
      const out = await fn(unit);
      events = await unit.flush();
      return out;
    });
    this.bus.publish(events);
    return result;
  }
}

/** A session acting through the agent API. */
export function sessionActor(sessionId: string, action: string): Actor {
  return {
    actor: { kind: 'agent_session', ref: sessionId },
    origin: { kind: 'agent_session', ref: `tasks.${action}` },
    sessionId,
  };
}

/** The daemon itself: sweeper, recovery, dispatcher. */
export function daemonActor(component: string): Actor {
  return { actor: { kind: 'daemon', ref: component }, origin: { kind: 'daemon', ref: component } };
}
