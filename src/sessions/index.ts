export { SessionManager, type SessionSettings, type TurnStarted } from './manager.ts';
export { SessionStore } from './store.ts';
export type { CreateSessionInput } from './plan.ts';
export type { Session } from './view.ts';
export type * from './types.ts';
