// Who acted and through which surface: stamped on every event, task and run. The principals module
// is the one place that turns a caller into an actor.
import type { ACTOR_KINDS, ORIGIN_KINDS } from './vocabulary.ts';

export type ActorKind = (typeof ACTOR_KINDS)[number];
export type OriginKind = (typeof ORIGIN_KINDS)[number];

export interface ActorRef {
  kind: ActorKind;
  ref: string;
}
export interface OriginRef {
  kind: OriginKind;
  ref: string;
}

/** Who is acting, and through which surface: stamped on tasks, runs and events. */
export interface Actor {
  actor: ActorRef;
  origin: OriginRef;
  /** The acting session, when a session acts (its claims and ownership checks use it). */
  sessionId?: string;
}
