// Authentication on the HTTP transport. Every request needs credentials unless the route it matched
// is public (the readiness probe, the API description). The decision uses the route the router
// matched, never the raw request target: percent-encoding (`/%61pi/…`) or an absolute-form target
// (`GET http://host/api/…`) reaches the same handler and so meets the same check. Which principal a
// token proves is the credentials module's business; which principals a route admits is its caller rule.
import type { FastifyRequest } from 'fastify';
import type { CallerRule } from '../principals/caller-rule.ts';
import type { Credentials } from '../principals/credentials.ts';
import type { Principal } from '../principals/principal.ts';
import { admit } from '../principals/rules.ts';

/** Route config: who may call the route (operator only when unset). */
export interface CallerRouteConfig {
  caller?: CallerRule;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function callerRule(request: FastifyRequest): CallerRule {
  // An unmatched request reaches only the not-found handler, which reveals nothing but "no such
  // route"; paths outside /api (the future web UI) stay reachable without credentials.
  if (request.routeOptions.url === undefined) return looksLikeApi(request.url) ? 'operator' : 'public';
  return (request.routeOptions.config as CallerRouteConfig | undefined)?.caller ?? 'operator';
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

/** Returns an onRequest hook that identifies the caller, or refuses the request. */
export function bearerAuth(credentials: Credentials) {
  return async (request: FastifyRequest): Promise<void> => {
    const rule = callerRule(request);
    if (rule === 'public') return;
    const principal = await credentials.authenticate(request.headers.authorization);
    admit(principal, rule);
    request.principal = principal;
  };
}
