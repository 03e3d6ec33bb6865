// The lease operations of the Agent API (/api/agent/tasks/*): a session claims the next run, keeps
// the lease alive, and completes, fails or releases it. The claim token never leaves the daemon.
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  ClaimNextTaskRequestSchema,
  CompleteRunRequestSchema,
  FailRunRequestSchema,
  LeaseHeartbeatRequestSchema,
  ReasonRequestSchema,
  RunIdParamsSchema,
  TaskClaimSchema,
  TaskLeaseSchema,
} from '../contract/tasks.ts';
import type { SessionPrincipal } from '../principals/principal.ts';
import type { LeaseCaller } from '../tasks/leases.ts';
import { leaseView, runView, summaryView } from '../tasks/views.ts';
import { defineOperation, Reply } from './operation.ts';

const tags = ['Agent'];
const caller = 'session';
const validationCode = 'task_invalid';
const E = ErrorResponseSchema;
const ERRORS = { 403: E, 404: E, 409: E, 422: E, 503: E, ...COMMON_ERRORS } as const;
const LeaseEnvelope = z.object({ lease: TaskLeaseSchema });

function leaseCaller({ session }: SessionPrincipal): LeaseCaller {
  return {
    sessionId: session.id,
    agentName: session.agent_name,
    workspaceId: session.workspace_id,
    channel: session.channel ?? null,
  };
}

export const agentTaskOperations = [
  defineOperation({
    id: 'claimNextAgentTask',
    tags,
    summary: 'Lease the next eligible queued run (204 when there is none; `wait` holds until there is)',
    caller,
    validationCode,
    body: ClaimNextTaskRequestSchema.nullish(),
    responses: {
      200: z.object({ claim: TaskClaimSchema }),
      204: z.null().describe('Nothing to claim'),
      ...ERRORS,
    },
    handle: async ({ principal, body, signal, services }) => {
      const who = leaseCaller(principal);
      const claim = await services.leases.claimNext(who, body ?? {}, signal);
      if (!claim) return new Reply(204, null);
      if (signal.aborted) {
        // The claim landed as the caller left: hand the run straight back, so nobody holds it for nothing.
        await services.leases.release(who, claim.run.id, { reason: 'the claiming request went away' });
        return new Reply(204, null);
      }
      return {
        claim: {
          task: summaryView(claim.task),
          run: runView(claim.run),
          lease: leaseView(claim.run, claim.channel),
          ...(claim.channel && { coordination_channel: claim.channel }),
        },
      };
    },
  }),

  defineOperation({
    id: 'heartbeatAgentTaskRun',
    tags,
    summary: 'Keep the caller’s lease alive: it now ends lease_seconds (default 300) from now',
    caller,
    validationCode,
    params: RunIdParamsSchema,
    body: LeaseHeartbeatRequestSchema,
    responses: { 200: LeaseEnvelope, ...ERRORS },
    handle: async ({ principal, params, body, services }) => ({
      lease: leaseView(await services.leases.heartbeat(leaseCaller(principal), params.run_id, body)),
    }),
  }),

  defineOperation({
    id: 'completeAgentTaskRun',
    tags,
    summary: 'Close a run leased by the caller as successful, with an optional result',
    caller,
    validationCode,
    params: RunIdParamsSchema,
    body: CompleteRunRequestSchema,
    responses: { 200: LeaseEnvelope, ...ERRORS },
    handle: async ({ principal, params, body, services }) => ({
      lease: leaseView(await services.leases.complete(leaseCaller(principal), params.run_id, body)),
    }),
  }),

  defineOperation({
    id: 'failAgentTaskRun',
    tags,
    summary: 'Close a run leased by the caller as failed, with an error text',
    caller,
    validationCode,
    params: RunIdParamsSchema,
    body: FailRunRequestSchema,
    responses: { 200: LeaseEnvelope, ...ERRORS },
    handle: async ({ principal, params, body, services }) => ({
      lease: leaseView(await services.leases.fail(leaseCaller(principal), params.run_id, body)),
    }),
  }),

  defineOperation({
    id: 'releaseAgentTaskRun',
    tags,
    summary: 'Hand a leased run back to the queue (same run, same attempt) without finishing it',
    caller,
    validationCode,
    params: RunIdParamsSchema,
    body: ReasonRequestSchema,
    responses: { 200: LeaseEnvelope, ...ERRORS },
    handle: async ({ principal, params, body, services }) => ({
      lease: leaseView(await services.leases.release(leaseCaller(principal), params.run_id, body)),
    }),
  }),
];
