// The session an agent-side operation acts for: the caller's own session token, or the operator
// naming a session (over HTTP, the X-AGH-Session-ID / X-AGH-Agent headers). What the caller names
// must agree with its token, and only an active session has an identity.
import { AppError, type ErrorCode } from '../lib/errors.ts';
import type { SessionStore } from '../sessions/store.ts';
import type { SessionRecord } from '../sessions/types.ts';
import type { Principal, SessionPrincipal } from './principal.ts';

export interface IdentityHeaders {
  sessionId?: string;
  agent?: string;
  workspaceId?: string;
}

export async function actingSession(
  store: SessionStore,
  principal: Principal,
  headers: IdentityHeaders,
): Promise<SessionPrincipal> {
  const sessionId = headers.sessionId?.trim() ?? '';
  const agent = headers.agent?.trim() ?? '';
  let session: SessionRecord | undefined;
  if (principal.kind === 'daemon') {
    throw new AppError('unauthorized', 'the daemon does not act as an agent session');
  }
  if (principal.kind === 'session') {
    session = principal.session;
    if (sessionId !== '' && sessionId !== session.id) {
      throw identity(
        'identity_mismatch',
        'X-AGH-Session-ID does not match the session of the token',
        'clear stale AGH identity environment variables and retry',
      );
    }
  } else {
    if (sessionId === '') {
      throw identity(
        'identity_required',
        'X-AGH-Session-ID is required to act as an agent session',
        'send X-AGH-Session-ID and X-AGH-Agent, or call from the session with its AGH_SESSION_TOKEN',
      );
    }
    if (agent === '') {
      throw identity(
        'identity_required',
        'X-AGH-Agent is required to act as an agent session',
        'send X-AGH-Agent with the session’s agent name',
      );
    }
    session = await store.get(sessionId);
    if (!session || session.type === 'dream') {
      throw identity(
        'identity_stale',
        `agent session ${sessionId} is not known to the daemon`,
        'start or resume the AGH session, then retry',
      );
    }
  }
  if (session.state !== 'active') {
    throw identity(
      'identity_stale',
      `agent session ${session.id} is not active (it is ${session.state})`,
      'start or resume the AGH session, then retry',
    );
  }
  if (agent !== '' && agent !== session.agent_name) {
    throw identity(
      'identity_mismatch',
      `X-AGH-Agent "${agent}" does not match the session's agent "${session.agent_name}"`,
      'clear stale AGH identity environment variables and retry',
    );
  }
  const workspaceId = headers.workspaceId?.trim() ?? '';
  if (workspaceId !== '' && workspaceId !== session.workspace_id) {
    throw identity(
      'identity_unauthorized',
      `agent session ${session.id} does not belong to workspace ${workspaceId}`,
      'use the session workspace',
    );
  }
  return { kind: 'session', session, viaOperator: principal.kind === 'operator' };
}

function identity(code: ErrorCode, message: string, action: string): AppError {
  return new AppError(code, `${message}: ${action}`, { suggestedCommand: action });
}
