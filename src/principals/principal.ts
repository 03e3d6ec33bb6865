// Who is calling. Every request (and every background job) resolves to one principal; services never
// see tokens or headers, only the actor this module derives from the principal. A new kind of caller
// (an agent API key, a console user) is one new variant here, one resolver in credentials.ts and one
// row in actorOf.
import type { Actor, OriginKind } from '../contract/actors.ts';
import type { AgentCaller } from '../sessions/caller.ts';

export type OperatorPrincipal = { kind: 'operator' };
/** A session: by its own token, or the operator acting as it (`viaOperator`). */
export type SessionPrincipal = { kind: 'session' } & AgentCaller;
/** The daemon itself: the sweeper, recovery, the dispatcher. */
export type DaemonPrincipal = { kind: 'daemon'; component: string };

export type Principal = OperatorPrincipal | SessionPrincipal | DaemonPrincipal;
export type PrincipalKind = Principal['kind'];

/** The person at this machine: the only human the operator token stands for. */
export const LOCAL_USER = 'local-user';

/**
 * The one mapping from a principal to the actor the event log records. `action` names what is done
 * (e.g. `tasks.start`); `via` is the surface the principal came through (http today, mcp and web next).
 * A session acts as itself whatever the surface, so its origin is always the session.
 */
export function actorOf(principal: Principal, action: string, via: OriginKind = 'http'): Actor {
  switch (principal.kind) {
    case 'operator':
      return { actor: { kind: 'human', ref: LOCAL_USER }, origin: { kind: via, ref: action } };
    case 'session':
      return {
        actor: { kind: 'agent_session', ref: principal.session.id },
        origin: { kind: 'agent_session', ref: action },
        sessionId: principal.session.id,
      };
    case 'daemon':
      return {
        actor: { kind: 'daemon', ref: principal.component },
        origin: { kind: 'daemon', ref: principal.component },
      };
  }
}
