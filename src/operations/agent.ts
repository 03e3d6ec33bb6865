// Agent operations (contract tag Agent): what a session asks about itself, and spawning children.
// Every one acts for a session: its own token, or the operator naming it.
import { z } from 'zod';
import {
  AgentContextSchema,
  AgentMeSchema,
  AgentSoulSchema,
  CoordinatorConfigQuerySchema,
  CoordinatorConfigSchema,
  SpawnResultSchema,
  ValidateSoulRequestSchema,
} from '../contract/agent.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import { AppError } from '../lib/errors.ts';
import { defineOperation, Reply } from './operation.ts';

const tags = ['Agent'];
const caller = 'session';
const E = ErrorResponseSchema;
const IDENTITY_ERRORS = { 401: E, 403: E, 404: E, 500: E, 503: E } as const;

export const agentOperations = [
  defineOperation({
    id: 'getAgentMe',
    tags,
    summary: 'Who am I: session identity, limits, held leases and channels of the caller',
    caller,
    responses: { 200: z.object({ me: AgentMeSchema }), ...IDENTITY_ERRORS, ...COMMON_ERRORS },
    handle: async ({ principal, services }) => ({ me: await services.agentSelf.me(principal) }),
  }),

  defineOperation({
    id: 'getAgentContext',
    tags,
    summary: 'Assemble the caller’s working context: identity, task bundle, inbox, peers, soul',
    caller,
    responses: { 200: z.object({ context: AgentContextSchema }), ...IDENTITY_ERRORS, ...COMMON_ERRORS },
    handle: async ({ principal, services }) => ({ context: await services.agentSelf.context(principal) }),
  }),

  defineOperation({
    id: 'getAgentCoordinatorConfig',
    tags,
    summary: 'Effective coordinator settings for the caller’s (or a named) workspace',
    caller,
    query: CoordinatorConfigQuerySchema,
    responses: {
      200: z.object({ coordinator: CoordinatorConfigSchema }),
      410: E,
      ...IDENTITY_ERRORS,
      ...COMMON_ERRORS,
    },
    handle: async ({ principal, query, services }) => ({
      coordinator: await services.agentSelf.coordinatorConfig(principal, query.workspace),
    }),
  }),

  defineOperation({
    id: 'getAgentSoul',
    tags,
    summary: 'Read the caller’s persona (soul) document together with its validation state',
    caller,
    responses: { 200: AgentSoulSchema, 422: E, ...IDENTITY_ERRORS, ...COMMON_ERRORS },
    handle: async ({ principal, services }) => {
      const soul = await services.agentSelf.soul(principal);
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
  }),

  defineOperation({
    id: 'validateAgentSoul',
    tags,
    summary: 'Dry-run validation of a soul body, or of the caller’s stored soul when no body is sent',
    caller,
    body: ValidateSoulRequestSchema.nullish(),
    responses: { 200: AgentSoulSchema, 422: AgentSoulSchema, ...IDENTITY_ERRORS, ...COMMON_ERRORS },
    handle: async ({ principal, body, services }) => {
      const soul = await services.agentSelf.validateSoul(principal, body ?? {});
      return soul.valid ? soul : new Reply(422, soul);
    },
  }),

  defineOperation({
    id: 'spawnAgentSession',
    tags,
    summary: 'Start a child session beneath the caller with a restricted permission envelope',
    caller,
    // Checked by the spawn service, so that a bad request is the contract's 422, not a 400.
    body: z.unknown(),
    responses: {
      201: z.object({ spawn: SpawnResultSchema }),
      409: E,
      410: E,
      422: E,
      ...IDENTITY_ERRORS,
      ...COMMON_ERRORS,
    },
    handle: async ({ principal, body, services }) => ({
      spawn: await services.spawn.spawn(principal.session, body),
    }),
  }),
];
