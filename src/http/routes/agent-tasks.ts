// The lease endpoints of the Agent API (/api/agent/tasks/*): a session claims the next run, keeps the
// lease alive, and completes, fails or releases it. The claim token never leaves the daemon.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { LeaseCaller, LeaseService } from '../../tasks/leases.ts';
import { leaseView, runView, summaryView } from '../../tasks/views.ts';
import type { SessionStore } from '../../sessions/store.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  ClaimNextTaskRequestSchema,
  CompleteRunRequestSchema,
  FailRunRequestSchema,
  LeaseHeartbeatRequestSchema,
  ReasonRequestSchema,
  RunIdParamsSchema,
  TaskClaimSchema,
  TaskLeaseSchema,
} from '../../contract/tasks.ts';
import { agentCaller } from './agent.ts';
import { TASK_ROUTE_CONFIG } from './tasks.ts';

const tags = ['Agent'];
const E = ErrorResponseSchema;
const ERRORS = { 403: E, 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const LeaseEnvelope = z.object({ lease: TaskLeaseSchema });

export function agentTaskRoutes(app: ZodApp, deps: { leases: LeaseService; store: SessionStore }): void {
  const resolve = agentCaller(deps.store);
  const caller = async (request: FastifyRequest): Promise<LeaseCaller> => {
    const { session } = await resolve(request);
    return {
      sessionId: session.id,
      agentName: session.agent_name,
      workspaceId: session.workspace_id,
      channel: session.channel ?? null,
    };
  };
  const config = TASK_ROUTE_CONFIG;
  // Long polls would otherwise hold shutdown up; they answer "nothing to claim" instead.
  app.addHook('preClose', async () => deps.leases.close());

  app.post(
    '/api/agent/tasks/claim-next',
    {
      config,
      schema: {
        operationId: 'claimNextAgentTask',
        tags,
        summary: 'Lease the next eligible queued run (204 when there is none; `wait` holds until there is)',
        body: ClaimNextTaskRequestSchema.nullish(),
        response: {
          200: z.object({ claim: TaskClaimSchema }),
          204: z.null().describe('Nothing to claim'),
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const who = await caller(request);
      // A long poll ends when its client goes away (the response's connection closes; the request
      // stream closed already once its body was read), so no claim is made for nobody.
      const aborted = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) aborted.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const claim = await deps.leases.claimNext(who, request.body ?? {}, aborted.signal);
        if (!claim) return reply.status(204).send(null);
        if (aborted.signal.aborted) {
          // The claim landed as the client left: hand the run straight back.
          await deps.leases.release(who, claim.run.id, { reason: 'the claiming request went away' });
          return reply.status(204).send(null);
        }
        const lease = leaseView(claim.run, claim.channel);
        return {
          claim: {
            task: summaryView(claim.task),
            run: runView(claim.run),
            lease,
            ...(claim.channel && { coordination_channel: claim.channel }),
          },
        };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  app.post(
    '/api/agent/tasks/:run_id/heartbeat',
    {
      config,
      schema: {
        operationId: 'heartbeatAgentTaskRun',
        tags,
        summary: 'Keep the caller’s lease alive: it now ends lease_seconds (default 300) from now',
        params: RunIdParamsSchema,
        body: LeaseHeartbeatRequestSchema,
        response: { 200: LeaseEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      lease: leaseView(
        await deps.leases.heartbeat(await caller(request), request.params.run_id, request.body),
      ),
    }),
  );

  app.post(
    '/api/agent/tasks/:run_id/complete',
    {
      config,
      schema: {
        operationId: 'completeAgentTaskRun',
        tags,
        summary: 'Close a run leased by the caller as successful, with an optional result',
        params: RunIdParamsSchema,
        body: CompleteRunRequestSchema,
        response: { 200: LeaseEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      lease: leaseView(
        await deps.leases.complete(await caller(request), request.params.run_id, request.body),
      ),
    }),
  );

  app.post(
    '/api/agent/tasks/:run_id/fail',
    {
      config,
      schema: {
        operationId: 'failAgentTaskRun',
        tags,
        summary: 'Close a run leased by the caller as failed, with an error text',
        params: RunIdParamsSchema,
        body: FailRunRequestSchema,
        response: { 200: LeaseEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      lease: leaseView(await deps.leases.fail(await caller(request), request.params.run_id, request.body)),
    }),
  );

  app.post(
    '/api/agent/tasks/:run_id/release',
    {
      config,
      schema: {
        operationId: 'releaseAgentTaskRun',
        tags,
        summary: 'Hand a leased run back to the queue (same run, same attempt) without finishing it',
        params: RunIdParamsSchema,
        body: ReasonRequestSchema,
        response: { 200: LeaseEnvelope, ...ERRORS },
      },
    },
    async (request) => ({
      lease: leaseView(await deps.leases.release(await caller(request), request.params.run_id, request.body)),
    }),
  );
}
