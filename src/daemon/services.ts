// Wires stores into services. Routes, the CLI and background loops all use these same services.
import type { Logger } from 'pino';
import { AgentCatalog } from '../agents/catalog.ts';
import { ProviderCatalog } from '../agents/providers.ts';
import type { Clock } from '../lib/clock.ts';
import { SessionManager, SessionStore } from '../sessions/index.ts';
import type { Store } from '../store/db.ts';
import { WorkspaceService, WorkspaceStore } from '../workspaces/index.ts';
import { AgentSelfService } from '../sessions/agent-api.ts';
import { SpawnService } from '../sessions/spawn.ts';
import { SoulService } from '../souls/service.ts';
import { TaskKernel } from '../tasks/kernel.ts';
import { coordinationChannel, LeaseService } from '../tasks/leases.ts';
import { TaskLifecycle } from '../tasks/lifecycle.ts';
import { Dispatcher } from '../dispatch/dispatcher.ts';
import { defaultRunners } from '../runners/registry.ts';
import { openEventBus } from '../store/event-bus.ts';
import { leaseView, summaryView } from '../tasks/views.ts';
import { taskBundle } from '../tasks/bundle.ts';
import { Inspector } from '../tasks/inspect.ts';
import { TaskReader } from '../tasks/reader.ts';
import { RunOperations } from '../tasks/run-ops.ts';
import { SchedulerService } from '../tasks/scheduler.ts';
import { TaskService } from '../tasks/service.ts';
import type { FileConfig } from '../settings/config-file.ts';
import { resolveSettings } from '../settings/settings.ts';
import type { Services } from '../operations/services.ts';

export type { Services };

export interface ServiceDeps {
  store: Store;
  clock: Clock;
  home: string;
  logger: Logger;
  file?: FileConfig;
  /** The daemon's URL, handed to agents; known once the daemon listens. */
  apiUrl: () => string;
  /** Defaults to a name unique to this machine and home. */
  owner?: string;
}

export async function createServices(deps: ServiceDeps): Promise<Services> {
  // One bus over the one event log for the whole daemon: tasks, sessions and whatever comes next.
  const bus = await openEventBus(deps.store);
  const file = deps.file ?? {};
  // Every default and every setting of config.toml, resolved once.
  const settings = resolveSettings(file);
  const providers = new ProviderCatalog(file.providers, file.defaults?.provider);
  const agents = new AgentCatalog({ home: deps.home, providers });
  const workspaces = new WorkspaceService({
    store: new WorkspaceStore(deps.store.db),
    clock: deps.clock,
    agents,
    providers,
  });
  const sessions = new SessionManager({
    store: new SessionStore(deps.store.db, deps.store.dialect),
    workspaces,
    agents,
    providers,
    clock: deps.clock,
    home: deps.home,
    logger: deps.logger,
    apiUrl: deps.apiUrl,
    runners: defaultRunners(),
    bus,
    ...(deps.owner !== undefined ? { owner: deps.owner } : {}),
    settings: settings.sessions,
  });
  workspaces.attachSessions(sessions);
  const spawn = new SpawnService({ sessions, store: sessions.store, clock: deps.clock });
  const souls = new SoulService({ agents, config: file });
  const agentSelf = new AgentSelfService({
    workspaces,
    agents,
    providers,
    souls,
    config: file,
    clock: deps.clock,
  });
  const kernel = new TaskKernel({ store: deps.store, clock: deps.clock, logger: deps.logger, bus });
  const tasks = new TaskService(kernel, workspaces);
  const lifecycle = new TaskLifecycle(kernel);
  const taskReader = new TaskReader(kernel, sessions.store);
  const leases = new LeaseService(kernel);
  const scheduler = new SchedulerService(kernel, settings.scheduler, () => {
    leases.wakeWaiters();
    dispatcher.poke();
  });
  const runs = new RunOperations(kernel, lifecycle, sessions.store);
  const inspector = new Inspector(kernel, taskReader, {
    get: (id) => sessions.store.get(id),
    countActive: (workspaceId) => sessions.store.countLive(workspaceId ? { workspace_id: workspaceId } : {}),
  });
  const stopGraceMs = settings.sessions.stopGraceMs;
  const control = {
    graceMs: stopGraceMs,
    isLive: (id: string) => sessions.isLiveHere(id),
    stopForCanceledRun: async (run: { id: string; session_id: string | null }, reason: string) => {
      if (run.session_id && sessions.isLiveHere(run.session_id)) {
        await sessions.stop(run.session_id, 'user_canceled', `its task run ${run.id} ended: ${reason}`);
      }
    },
  };
  lifecycle.attachSessions(control);
  const dispatcher = new Dispatcher({
    kernel,
    sessions,
    leases,
    runs,
    workspaces,
    logger: deps.logger,
    settings: settings.dispatcher,
  });
  runs.attach(control, dispatcher);
  sessions.onStopped(async (sessionId) => {
    await leases.releaseOfSession(sessionId, 'session_stopped');
  });
  agentSelf.attachLeases(async (sessionId) => {
    const held = await kernel.read.runs.activeOfSession(sessionId);
    const tasks = await kernel.read.tasks.getMany(held.map((r) => r.task_id));
    return held.flatMap((run) => {
      const task = tasks.get(run.task_id);
      return task
        ? [
            {
              task: summaryView(task),
              lease: leaseView(run, coordinationChannel(task, run)),
              bundle: () => taskBundle(kernel.read, task, run),
            },
          ]
        : [];
    });
  });
  return {
    settings,
    events: bus,
    workspaces,
    sessions,
    spawn,
    agentSelf,
    agents,
    providers,
    kernel,
    tasks,
    lifecycle,
    taskReader,
    leases,
    scheduler,
    runs,
    inspector,
    dispatcher,
  };
}
