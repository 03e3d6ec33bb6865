export { type WorkspaceDetail, WorkspaceService, type WorkspaceSessions } from './service.ts';
export { WorkspaceStore } from './store.ts';
export type * from './types.ts';
