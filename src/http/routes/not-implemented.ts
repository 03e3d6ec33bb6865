// Contract operations without an implementation answer 501, so progress is countable and no client
// mistakes a missing feature for a success.
import { AppError } from '../../lib/errors.ts';
import type { ZodApp } from '../app.ts';
import { CONTRACT_OPERATIONS } from '../contract-operations.ts';
import { ErrorResponseSchema } from '../../contract/common.ts';

export function notImplementedRoutes(app: ZodApp, implemented: ReadonlySet<string>): void {
  for (const op of CONTRACT_OPERATIONS) {
    if (implemented.has(op.operationId)) continue;
    app.route({
      method: op.method,
      url: op.url,
      // A session may reach the agent-side operations it will call for itself once they exist.
      config: { caller: op.path.startsWith('/api/agent/') ? 'session' : 'operator' },
      schema: {
        operationId: op.operationId,
        tags: [op.tag],
        summary: op.summary,
        description: 'Not implemented yet: answers 501 not_implemented.',
        response: { 501: ErrorResponseSchema },
      },
      handler: async () => {
        throw new AppError(
          'not_implemented',
          `${op.method} ${op.path} (${op.operationId}) is part of the API contract but not implemented yet`,
        );
      },
    });
  }
}
