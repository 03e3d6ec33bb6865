// The task kernel's background loop: boot recovery before the first claim, then every interval the
// lease sweep (all expired leases, batch by batch), one step of the starvation ladder, and a
// dispatcher tick (idle sessions stop, queued work gets sessions).
import type { Logger } from 'pino';
import type { SessionManager } from '../sessions/index.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { SchedulerService } from '../tasks/scheduler.ts';

const SWEEP_BATCH = 100;

export interface TaskLoop {
  stop(): Promise<void>;
}

export async function startTaskLoop(deps: {
  scheduler: SchedulerService;
  dispatcher: Dispatcher;
  sessions: SessionManager;
  logger: Logger;
  intervalMs: number;
}): Promise<TaskLoop> {
  const { scheduler, sessions, logger } = deps;
  await scheduler.recoverAtBoot({
    liveHere: (id) => sessions.isLiveHere(id),
    ownedHere: async (id) => (await sessions.store.get(id))?.owner === sessions.owner,
  });
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= (async () => {
      try {
        while ((await scheduler.sweep()) === SWEEP_BATCH);
        await scheduler.escalate();
        await deps.dispatcher.tick();
      } catch (err) {
        logger.error({ err }, 'task sweep failed; it runs again next interval');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  // Work left queued by the last run of the daemon gets sessions at once.
  deps.dispatcher.poke();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await deps.dispatcher.close();
    },
  };
}
