export { type WorkspaceDetail, WorkspaceService } from './service.ts';
export { WorkspaceStore } from './store.ts';
export type * from './types.ts';
