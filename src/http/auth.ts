// Bearer-token authentication. Every request needs a token unless the route it matched is marked
// public (the readiness probe, the API description). The decision uses the route the router
// matched, never the raw request target: percent-encoding (`/%61pi/…`) or an absolute-form target
// (`GET http://host/api/…`) reaches the same handler and so meets the same check.
//
// Two kinds of token: the operator's (everything), and a session's (only /api/agent/*, as that
// session; ARCHITECTURE §4).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import { isSessionToken, sha256Hex } from '../lib/ids.ts';
import type { Principal } from '../sessions/identity.ts';
import type { SessionStore } from '../sessions/store.ts';

/** Route config flag for routes anyone may call. */
export interface PublicRouteConfig {
  public?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function isPublicRoute(request: FastifyRequest): boolean {
  // An unmatched request reaches only the not-found handler, which reveals nothing but "no such
  // route"; paths outside /api (the future web UI) stay reachable without a token.
  if (request.routeOptions.url === undefined) return !looksLikeApi(request.url);
  return (request.routeOptions.config as PublicRouteConfig | undefined)?.public === true;
}

export function isAgentRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/api/agent/') === true;
}

function looksLikeApi(url: string): boolean {
  let path = url.split('?', 1)[0] ?? url;
  try {
    path = decodeURIComponent(path);
  } catch {
    return true;
  }
  path = path
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/\/{2,}/g, '/')
    .toLowerCase();
  return path === '/api' || path.startsWith('/api/');
}

/** Returns an onRequest hook that identifies the caller or rejects the request. */
export function bearerAuth(operatorToken: string, sessions: SessionStore) {
  const expected = digest(operatorToken);
  return async (request: FastifyRequest): Promise<void> => {
    if (isPublicRoute(request)) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new AppError(
        'unauthorized',
        'missing credentials: send "Authorization: Bearer <operator token>"',
        {
          suggestedCommand: 'cat "$AGH_HOME/operator.token"',
        },
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    // Hashing first makes the comparison constant-time whatever the presented length.
    if (token && timingSafeEqual(digest(token), expected)) {
      request.principal = { kind: 'operator' };
      return;
    }
    if (token && isSessionToken(token)) {
      const session = await sessions.findByTokenHash(sha256Hex(token));
      if (!session) {
        throw new AppError(
          'identity_stale',
          'the session token is not accepted: its session has stopped, or the token is wrong',
          { suggestedCommand: 'start or resume the AGH session, then retry' },
        );
      }
      if (!isAgentRoute(request)) {
        throw new AppError(
          'session_token_scope',
          'a session token only authorises /api/agent/*; operator routes need the operator token',
        );
      }
      request.principal = { kind: 'session', session };
      return;
    }
    throw new AppError(
      'unauthorized',
      'invalid credentials: the bearer token is not accepted by this daemon',
    );
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
