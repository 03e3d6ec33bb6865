// Wires stores into services. Routes, the CLI and background loops all use these same services.
import type { AppServices } from '../http/app.ts';
import type { Clock } from '../lib/clock.ts';
import type { Store } from '../store/db.ts';
import { WorkspaceService, WorkspaceStore } from '../workspaces/index.ts';

export function createServices(deps: { store: Store; clock: Clock; home: string }): AppServices {
  return {
    workspaces: new WorkspaceService({
      store: new WorkspaceStore(deps.store.db),
      clock: deps.clock,
      home: deps.home,
    }),
  };
}
