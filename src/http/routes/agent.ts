// Agent API (contract tag Agent): what a session asks about itself. Every route resolves the caller
// first (session token, or operator token plus X-AGH-Session-ID / X-AGH-Agent).
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { AgentSelfService } from '../../sessions/agent-api.ts';
import { type AgentCaller, resolveAgentCaller } from '../../sessions/identity.ts';
import type { SpawnService } from '../../sessions/spawn.ts';
import type { SessionStore } from '../../sessions/store.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  AgentContextSchema,
  AgentMeSchema,
  AgentSoulSchema,
  CoordinatorConfigQuerySchema,
  CoordinatorConfigSchema,
  SpawnResultSchema,
  ValidateSoulRequestSchema,
} from '../../contract/agent.ts';

const tags = ['Agent'];
const E = ErrorResponseSchema;
const IDENTITY_ERRORS = { 401: E, 403: E, 404: E, 500: E, 503: E } as const;

export interface AgentRouteDeps {
  self: AgentSelfService;
  spawn: SpawnService;
  store: SessionStore;
}

/** Resolves the session behind an /api/agent/* request (its token, or the operator's plus headers). */
export function agentCaller(store: SessionStore): (request: FastifyRequest) => Promise<AgentCaller> {
  return (request) => {
    if (!request.principal) throw new AppError('unauthorized', 'missing credentials');
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return resolveAgentCaller(store, request.principal, {
      ...optional('sessionId', header('x-agh-session-id')),
      ...optional('agent', header('x-agh-agent')),
      ...optional('workspaceId', header('x-agh-workspace-id')),
    });
  };
}

export function agentRoutes(app: ZodApp, deps: AgentRouteDeps): void {
  const caller = agentCaller(deps.store);

  app.get(
    '/api/agent/me',
    {
      schema: {
        operationId: 'getAgentMe',
        tags,
        summary: 'Who am I: session identity, limits, held leases and channels of the caller',
        response: { 200: z.object({ me: AgentMeSchema }), ...IDENTITY_ERRORS, ...COMMON_ERRORS },
      },
    },
    async (request) => ({ me: await deps.self.me(await caller(request)) }),
  );

  app.get(
    '/api/agent/context',
    {
      schema: {
        operationId: 'getAgentContext',
        tags,
        summary: 'Assemble the caller’s working context: identity, task bundle, inbox, peers, soul',
        response: { 200: z.object({ context: AgentContextSchema }), ...IDENTITY_ERRORS, ...COMMON_ERRORS },
      },
    },
    async (request) => ({ context: await deps.self.context(await caller(request)) }),
  );

  app.get(
    '/api/agent/coordinator/config',
    {
      schema: {
        operationId: 'getAgentCoordinatorConfig',
        tags,
        summary: 'Effective coordinator settings for the caller’s (or a named) workspace',
        querystring: CoordinatorConfigQuerySchema,
        response: {
          200: z.object({ coordinator: CoordinatorConfigSchema }),
          410: E,
          ...IDENTITY_ERRORS,
          ...COMMON_ERRORS,
        },
      },
    },
    async (request) => ({
      coordinator: await deps.self.coordinatorConfig(await caller(request), request.query.workspace),
    }),
  );

  app.get(
    '/api/agent/soul',
    {
      schema: {
        operationId: 'getAgentSoul',
        tags,
        summary: 'Read the caller’s persona (soul) document together with its validation state',
        response: { 200: AgentSoulSchema, 422: E, ...IDENTITY_ERRORS, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const soul = await deps.self.soul(await caller(request));
      if (!soul.valid) {
        const first = soul.diagnostics?.[0];
        throw new AppError(
          'soul_invalid',
          `${soul.source_path ?? 'SOUL.md'} is invalid: ${first?.message ?? 'see diagnostics'}`,
          {
            evidence: { diagnostics: soul.diagnostics ?? [] },
            suggestedCommand: 'POST /api/agent/soul/validate with the corrected body',
          },
        );
      }
      return soul;
    },
  );

  app.post(
    '/api/agent/soul/validate',
    {
      schema: {
        operationId: 'validateAgentSoul',
        tags,
        summary: 'Dry-run validation of a soul body, or of the caller’s stored soul when no body is sent',
        body: ValidateSoulRequestSchema.nullish(),
        response: { 200: AgentSoulSchema, 422: AgentSoulSchema, ...IDENTITY_ERRORS, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const soul = await deps.self.validateSoul(await caller(request), request.body ?? {});
      return reply.status(soul.valid ? 200 : 422).send(soul);
    },
  );

  app.post(
    '/api/agent/spawn',
    {
      schema: {
        operationId: 'spawnAgentSession',
        tags,
        summary: 'Start a child session beneath the caller with a restricted permission envelope',
        // Checked by the spawn service, so that a bad request is the contract's 422, not a 400.
        body: z.unknown(),
        response: {
          201: z.object({ spawn: SpawnResultSchema }),
          409: E,
          410: E,
          422: E,
          ...IDENTITY_ERRORS,
          ...COMMON_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const parent = await caller(request);
      return reply.status(201).send({ spawn: await deps.spawn.spawn(parent.session, request.body) });
    },
  );
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
