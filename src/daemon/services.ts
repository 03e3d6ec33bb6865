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
import { type RunSessionControl, TaskLifecycle } from '../tasks/lifecycle.ts';
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
  // The services below depend on each other in a few loops (workspaces list their sessions, which
  // resolve their workspaces; runs start sessions through the dispatcher, which finishes runs). Each
  // loop is closed by a callback that reaches the later service when it is called, never before.
  const workspaces: WorkspaceService = new WorkspaceService({
    store: new WorkspaceStore(deps.store.db),
    clock: deps.clock,
    agents,
    providers,
    sessions: {
      listForWorkspace: (id) => sessions.listForWorkspace(id),
      countLive: (id) => sessions.countLive(id),
    },
  });
  const sessions: SessionManager = new SessionManager({
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
    // A session that stops hands its claimed runs back at once.
    onStopped: (sessionId) => leases.releaseOfSession(sessionId, 'session_stopped').then(() => undefined),
    ...(deps.owner !== undefined ? { owner: deps.owner } : {}),
    settings: settings.sessions,
  });
  const spawn = new SpawnService({ sessions, store: sessions.store, clock: deps.clock });
  const souls = new SoulService({ agents, config: file });
  const kernel = new TaskKernel({ store: deps.store, clock: deps.clock, logger: deps.logger, bus });
  const agentSelf = new AgentSelfService({
    workspaces,
    agents,
    providers,
    souls,
    config: file,
    clock: deps.clock,
    leases: (sessionId) => heldLeases(kernel, sessionId),
  });
  const control: RunSessionControl = {
    graceMs: settings.sessions.stopGraceMs,
    isLive: (id) => sessions.isLiveHere(id),
    stopForCanceledRun: async (run, reason) => {
      if (run.session_id && sessions.isLiveHere(run.session_id)) {
        await sessions.stop(run.session_id, 'user_canceled', `its task run ${run.id} ended: ${reason}`);
      }
    },
  };
  const tasks = new TaskService(kernel, workspaces);
  const lifecycle = new TaskLifecycle(kernel, control);
  const taskReader = new TaskReader(kernel, sessions.store);
  const leases = new LeaseService(kernel);
  const scheduler = new SchedulerService(kernel, settings.scheduler, () => {
    leases.wakeWaiters();
    dispatcher.poke();
  });
  const runs: RunOperations = new RunOperations(kernel, lifecycle, sessions.store, control, {
    check: (task) => dispatcher.check(task),
    abandon: (sessionId) => dispatcher.abandon(sessionId),
    startFor: (task, run) => dispatcher.startFor(task, run),
    drive: (runId) => dispatcher.drive(runId),
  });
  const inspector = new Inspector(kernel, taskReader, {
    get: (id) => sessions.store.get(id),
    countActive: (workspaceId) => sessions.store.countLive(workspaceId ? { workspace_id: workspaceId } : {}),
  });
  const dispatcher: Dispatcher = new Dispatcher({
    kernel,
    sessions,
    leases,
    runs,
    workspaces,
    logger: deps.logger,
    settings: settings.dispatcher,
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

/** The runs a session holds, with their tasks and leases, for the session's own view of itself. */
async function heldLeases(kernel: TaskKernel, sessionId: string) {
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
}
