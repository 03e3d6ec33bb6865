// Every operation this daemon implements, for the adapters to register. A contract operation not
// listed here answers 501 on HTTP.
import { agentOperations } from './agent.ts';
import { agentTaskOperations } from './agent-tasks.ts';
import type { Operation } from './operation.ts';
import { runOperations } from './runs.ts';
import { schedulerOperations } from './scheduler.ts';
import { sessionOperations } from './sessions.ts';
import { taskLifecycleOperations } from './task-lifecycle.ts';
import { taskOperations } from './tasks.ts';
import { workspaceOperations } from './workspaces.ts';

export const OPERATIONS: readonly Operation[] = [
  ...workspaceOperations,
  ...sessionOperations,
  ...taskOperations,
  ...taskLifecycleOperations,
  ...runOperations,
  ...agentOperations,
  ...agentTaskOperations,
  ...schedulerOperations,
];
