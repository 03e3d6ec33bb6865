// What every task service shares: the store, the clock, the task events of the daemon's bus, and
// `write`, which runs one unit of work, appends its events to the log in the same transaction,
// publishes them once committed and then runs the follow-ups the unit asked for.
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Store } from '../store/db.ts';
import type { EventBus } from '../store/event-bus.ts';
import type { LogEvent } from '../store/event-log.ts';
import type { EventRecord } from './records.ts';
import { type TaskQueries, TaskStore, toTaskEvent } from './store/index.ts';
import type { Actor } from './types.ts';
import { Unit } from './unit.ts';

/** The task events among everything the daemon's bus delivers. */
export class TaskEvents {
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  subscribe(listener: (event: EventRecord) => void): () => void {
    return this.#bus.subscribe((event) => {
      if (event.scope_kind === 'task') listener(toTaskEvent(event));
    });
  }
}

export class TaskKernel {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: TaskEvents;
  readonly #bus: EventBus;

  constructor(deps: { store: Store; clock: Clock; logger: Logger; bus: EventBus }) {
    this.store = new TaskStore(deps.store);
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.#bus = deps.bus;
    this.bus = new TaskEvents(deps.bus);
  }

  get read(): TaskQueries {
    return this.store.read;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  async write<T>(actor: Actor, fn: (unit: Unit) => Promise<T>): Promise<T> {
    let events: readonly LogEvent[] = [];
    let followUps: readonly ((kernel: TaskKernel) => Promise<void>)[] = [];
    const result = await this.store.write(async (q) => {
      const unit = new Unit(q, this.now(), actor);
      const out = await fn(unit);
      await unit.flush();
      events = unit.logged;
      followUps = unit.followUps;
      return out;
    });
    this.#bus.publish(events);
    for (const step of followUps) {
      try {
        await step(this);
      } catch (err) {
        this.logger.warn({ err }, 'a follow-up of a committed task write failed');
      }
    }
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
