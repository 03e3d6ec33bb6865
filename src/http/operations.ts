// The HTTP adapter for operations: each operation becomes the route the contract gives its
// operationId (method and path; the few outside the contract have theirs below), with its schemas,
// caller rule and validation code. The handler only maps the request onto the operation's call and
// its answer onto the reply.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Operation } from '../operations/operation.ts';
import { Reply, successStatus } from '../operations/operation.ts';
import type { Services } from '../operations/services.ts';
import { actingSession, type IdentityHeaders } from '../principals/acting-session.ts';
import { actorOf, type Principal } from '../principals/principal.ts';
import type { ZodApp } from './app.ts';
import { CONTRACT_OPERATIONS, type ContractOperation } from './contract-operations.ts';

type Route = Pick<ContractOperation, 'method' | 'url'>;

/** The operator's sessions API is outside the wire contract: its routes are here. */
const OFF_CONTRACT_ROUTES: Record<string, Route> = {
  createSession: { method: 'POST', url: '/api/sessions' },
  listSessions: { method: 'GET', url: '/api/sessions' },
  getSession: { method: 'GET', url: '/api/sessions/:id' },
  promptSession: { method: 'POST', url: '/api/sessions/:id/prompt' },
  stopSession: { method: 'POST', url: '/api/sessions/:id/stop' },
};

const ROUTES = new Map<string, Route>([
  ...CONTRACT_OPERATIONS.map((op) => [op.operationId, op] as const),
  ...Object.entries(OFF_CONTRACT_ROUTES),
]);

export function registerOperations(app: ZodApp, operations: readonly Operation[], services: Services): void {
  for (const op of operations) {
    const route = ROUTES.get(op.id);
    if (!route) throw new Error(`operation ${op.id} has no HTTP route: it is not in the API contract`);
    app.route({
      method: route.method,
      url: route.url,
      config: { caller: op.caller, ...(op.validationCode && { validationCode: op.validationCode }) },
      schema: {
        operationId: op.id,
        tags: op.tags,
        summary: op.summary,
        ...(op.params && { params: op.params }),
        ...(op.query && { querystring: op.query }),
        ...(op.body && { body: op.body }),
        ...(op.caller === 'public' && { security: [] }),
        response: op.responses,
      },
      handler: (request, reply) => handle(op, services, request, reply),
    });
  }
}

async function handle(
  op: Operation,
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const principal = await principalFor(op, services, request);
  // The caller is gone when the response's connection closes before the answer was written (the
  // request stream closed already once its body was read).
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) gone.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const out = await op.handle({
      params: request.params,
      query: request.query,
      body: request.body,
      principal,
      actor: (action) => {
        if (!principal) throw new Error(`${op.id} is public: it has no actor`);
        return actorOf(principal, action);
      },
      signal: gone.signal,
      requestId: String(request.id),
      services,
    });
    if (out instanceof Reply) return reply.status(out.status).send(out.body);
    return reply.status(successStatus(op)).send(out);
  } finally {
    reply.raw.off('close', onClose);
  }
}

/** The principal the operation runs as; for session operations, the session the caller acts for. */
async function principalFor(
  op: Operation,
  services: Services,
  request: FastifyRequest,
): Promise<Principal | undefined> {
  if (op.caller !== 'session') return request.principal;
  if (!request.principal) throw new Error(`${op.id} needs a principal, and auth gave none`);
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const named: IdentityHeaders = {};
  const sessionId = header('x-agh-session-id');
  const agent = header('x-agh-agent');
  const workspaceId = header('x-agh-workspace-id');
  if (sessionId !== undefined) named.sessionId = sessionId;
  if (agent !== undefined) named.agent = agent;
  if (workspaceId !== undefined) named.workspaceId = workspaceId;
  return actingSession(services.sessions.store, request.principal, named);
}
