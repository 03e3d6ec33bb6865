// GET /api/status, the unauthenticated readiness probe. It stays an HTTP route rather than an
// operation: it answers "is this HTTP server serving", which only means something on HTTP (a
// connected MCP client or console already knows), and its facts (dialect, clock, start time) are the
// app's options; as an operation they would have to become services that nothing else reads.
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { VERSION } from '../../lib/version.ts';
import type { Dialect } from '../../store/db.ts';
import type { ZodApp } from '../app.ts';

export const StatusSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    uptime_seconds: z.number().int().nonnegative(),
    database: z.object({ dialect: z.enum(['sqlite', 'postgres']) }),
  })
  .meta({ id: 'DaemonStatus' });

/** The unauthenticated readiness probe. */
export function statusRoutes(app: ZodApp, deps: { dialect: Dialect; clock: Clock; startedAt: Date }): void {
  app.get(
    '/api/status',
    {
      config: { caller: 'public' },
      schema: {
        operationId: 'getDaemonStatus',
        tags: ['Daemon'],
        summary: 'Readiness probe: answers once the daemon is serving (no authentication)',
        security: [],
        response: { 200: StatusSchema },
      },
    },
    async () => ({
      status: 'ok' as const,
      version: VERSION,
      uptime_seconds: Math.max(0, Math.floor((deps.clock.now().getTime() - deps.startedAt.getTime()) / 1000)),
      database: { dialect: deps.dialect },
    }),
  );
}
