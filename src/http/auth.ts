// Bearer-token authentication for /api/*. Only the readiness probe is open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';

const OPEN_PATHS = new Set(['/api/status']);

export function requiresAuth(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return (path === '/api' || path.startsWith('/api/')) && !OPEN_PATHS.has(path);
}

/** Returns an onRequest hook that rejects requests lacking the operator token. */
export function operatorAuth(operatorToken: string) {
  const expected = digest(operatorToken);
  return async (request: FastifyRequest): Promise<void> => {
    if (!requiresAuth(request.url)) return;
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
