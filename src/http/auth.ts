// Bearer-token authentication. Every request needs the operator token unless the route it matched
// is marked public (the readiness probe, the API description). The decision uses the route the
// router matched, never the raw request target: percent-encoding (`/%61pi/…`) or an absolute-form
// target (`GET http://host/api/…`) reaches the same handler and so meets the same check.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';

/** Route config flag for routes anyone may call. */
export interface PublicRouteConfig {
  public?: boolean;
}

export function isPublicRoute(request: FastifyRequest): boolean {
  // An unmatched request reaches only the not-found handler, which reveals nothing but "no such
  // route"; paths outside /api (the future web UI) stay reachable without a token.
  if (request.routeOptions.url === undefined) return !looksLikeApi(request.url);
  return (request.routeOptions.config as PublicRouteConfig | undefined)?.public === true;
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

/** Returns an onRequest hook that rejects requests lacking the operator token. */
export function operatorAuth(operatorToken: string) {
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
    // Hashing first makes the comparison constant-time whatever the presented length.
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new AppError(
        'unauthorized',
        'invalid credentials: the bearer token is not accepted by this daemon',
      );
    }
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
