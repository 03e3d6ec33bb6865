// Wires stores into services. Routes, the CLI and background loops all use these same services.
import type { Logger } from 'pino';
import { AgentCatalog, GENERAL_AGENT_NAME } from '../agents/catalog.ts';
import { ProviderCatalog } from '../agents/providers.ts';
import type { Clock } from '../lib/clock.ts';
import { DEFAULT_SPAWN_BUDGET, SessionManager, SessionStore } from '../sessions/index.ts';
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
import { leaseView, summaryView } from '../tasks/views.ts';
import { taskBundle } from '../tasks/bundle.ts';
import { Inspector } from '../tasks/inspect.ts';
import { TaskReader } from '../tasks/reader.ts';
import { RunOperations } from '../tasks/run-ops.ts';
import { SchedulerService } from '../tasks/scheduler.ts';
import { TaskService } from '../tasks/service.ts';
import type { FileConfig } from '../settings/config-file.ts';
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

export const DEFAULT_START_TIMEOUT_SECONDS = 120;
export const DEFAULT_STOP_GRACE_SECONDS = 5;

export async function createServices(deps: ServiceDeps): Promise<Services> {
  const file = deps.file ?? {};
  const providers = new ProviderCatalog(file.providers, file.defaults?.provider);
  const agents = new AgentCatalog({ home: deps.home, providers });
  const workspaces = new WorkspaceService({
    store: new WorkspaceStore(deps.store.db),
    clock: deps.clock,
    agents,
    providers,
  });
  const sessions = new SessionManager({
    store: new SessionStore(deps.store.db),
    workspaces,
    agents,
    providers,
    clock: deps.clock,
    home: deps.home,
    logger: deps.logger,
    apiUrl: deps.apiUrl,
    runners: defaultRunners(),
    ...(deps.owner !== undefined ? { owner: deps.owner } : {}),
    settings: {
      defaultAgent: file.defaults?.agent ?? GENERAL_AGENT_NAME,
      startTimeoutMs: (file.sessions?.start_timeout_seconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
      stopGraceMs: (file.sessions?.stop_grace_seconds ?? DEFAULT_STOP_GRACE_SECONDS) * 1000,
      rootBudget: {
        max_children: file.sessions?.spawn_max_children ?? DEFAULT_SPAWN_BUDGET.max_children,
        max_depth: file.sessions?.spawn_max_depth ?? DEFAULT_SPAWN_BUDGET.max_depth,
        ttl_seconds: 0,
        max_active_per_workspace:
          file.sessions?.spawn_max_active_per_workspace ?? DEFAULT_SPAWN_BUDGET.max_active_per_workspace ?? 0,
      },
    },
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
  const kernel = await TaskKernel.open({ store: deps.store, clock: deps.clock, logger: deps.logger });
  const tasks = new TaskService(kernel, workspaces);
  const lifecycle = new TaskLifecycle(kernel);
  const taskReader = new TaskReader(kernel, sessions.store);
  const leases = new LeaseService(kernel);
  const scheduler = new SchedulerService(
    kernel,
    {
      ...(file.tasks?.starvation_after_seconds && {
        starvationAfterMs: file.tasks.starvation_after_seconds * 1000,
      }),
      ...(file.tasks?.starvation_cycles && { starvationCycles: file.tasks.starvation_cycles }),
    },
    () => {
      leases.wakeWaiters();
      dispatcher.poke();
    },
  );
  const runs = new RunOperations(kernel, lifecycle, sessions.store);
  const inspector = new Inspector(kernel, taskReader, {
    get: (id) => sessions.store.get(id),
    countActive: (workspaceId) => sessions.store.countLive(workspaceId ? { workspace_id: workspaceId } : {}),
  });
  const stopGraceMs = (file.sessions?.stop_grace_seconds ?? DEFAULT_STOP_GRACE_SECONDS) * 1000;
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
  const dispatch = file.dispatcher ?? {};
  const dispatcher = new Dispatcher({
    kernel,
    sessions,
    leases,
    runs,
    workspaces,
    logger: deps.logger,
    settings: {
      ...(dispatch.enabled !== undefined && { enabled: dispatch.enabled }),
      ...(dispatch.max_sessions !== undefined && { maxSessions: dispatch.max_sessions }),
      ...(dispatch.max_sessions_per_workspace !== undefined && {
        maxSessionsPerWorkspace: dispatch.max_sessions_per_workspace,
      }),
      ...(dispatch.idle_stop_seconds !== undefined && { idleStopMs: dispatch.idle_stop_seconds * 1000 }),
      ...(dispatch.lease_seconds !== undefined && { leaseSeconds: dispatch.lease_seconds }),
    },
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
