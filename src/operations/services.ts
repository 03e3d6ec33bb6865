// The services every transport reaches: built once by the daemon's composition root, handed to the
// HTTP routes (and next the MCP tools and the console) so that no adapter constructs or wires one.
import type { Settings } from '../settings/settings.ts';
import type { EventBus } from '../store/event-bus.ts';
import type { WorkspaceService } from '../workspaces/index.ts';
import type { SessionManager } from '../sessions/index.ts';
import type { SpawnService } from '../sessions/spawn.ts';
import type { AgentSelfService } from '../sessions/agent-api.ts';
import type { AgentCatalog } from '../agents/catalog.ts';
import type { ProviderCatalog } from '../agents/providers.ts';
import type { TaskKernel } from '../tasks/kernel.ts';
import type { TaskService } from '../tasks/service.ts';
import type { TaskLifecycle } from '../tasks/lifecycle.ts';
import type { TaskReader } from '../tasks/reader.ts';
import type { LeaseService } from '../tasks/leases.ts';
import type { SchedulerService } from '../tasks/scheduler.ts';
import type { RunOperations } from '../tasks/run-ops.ts';
import type { Inspector } from '../tasks/inspect.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';

export interface Services {
  /** Every default and config.toml setting, resolved once. */
  settings: Settings;
  /** The daemon's bus over the one event log. */
  events: EventBus;
  workspaces: WorkspaceService;
  sessions: SessionManager;
  spawn: SpawnService;
  agentSelf: AgentSelfService;
  agents: AgentCatalog;
  providers: ProviderCatalog;
  kernel: TaskKernel;
  tasks: TaskService;
  lifecycle: TaskLifecycle;
  taskReader: TaskReader;
  leases: LeaseService;
  scheduler: SchedulerService;
  runs: RunOperations;
  inspector: Inspector;
  dispatcher: Dispatcher;
}
