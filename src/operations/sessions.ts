// Session operations for operators: start, list, show, prompt and stop. They are outside the wire
// contract, so the HTTP adapter lists their routes itself. Following a session's
// events is a server-sent event stream: an HTTP route (src/http/routes/session-stream.ts).
import { z } from 'zod';
import { COMMON_ERRORS, ErrorResponseSchema } from '../contract/common.ts';
import {
  CreateSessionRequestSchema,
  ListSessionsQuerySchema,
  PromptSessionRequestSchema,
  SessionEnvelopeSchema,
  SessionIdParamsSchema,
  SessionSchema,
  StopSessionRequestSchema,
  TurnSchema,
} from '../contract/sessions.ts';
import { defineOperation, Reply } from './operation.ts';

const tags = ['Sessions'];
const caller = 'operator';
const E = ErrorResponseSchema;

export const sessionOperations = [
  defineOperation({
    id: 'createSession',
    tags,
    summary: 'Start an agent session in a workspace',
    caller,
    body: CreateSessionRequestSchema,
    responses: { 201: SessionEnvelopeSchema, 404: E, 409: E, 410: E, 422: E, 503: E, ...COMMON_ERRORS },
    handle: async ({ body, services }) => ({ session: await services.sessions.create(body) }),
  }),

  defineOperation({
    id: 'listSessions',
    tags,
    summary: 'Sessions, newest first',
    caller,
    query: ListSessionsQuerySchema,
    responses: { 200: z.object({ sessions: z.array(SessionSchema) }), 404: E, ...COMMON_ERRORS },
    handle: async ({ query, services }) => {
      const { workspace, state } = query;
      const workspace_id =
        workspace === undefined ? undefined : (await services.workspaces.find(workspace)).id;
      return {
        sessions: await services.sessions.list({
          ...(workspace_id !== undefined ? { workspace_id } : {}),
          ...(state !== undefined ? { state } : {}),
        }),
      };
    },
  }),

  defineOperation({
    id: 'getSession',
    tags,
    summary: 'One session with its health, lineage and stop reason',
    caller,
    params: SessionIdParamsSchema,
    responses: { 200: SessionEnvelopeSchema, 404: E, ...COMMON_ERRORS },
    handle: async ({ params, services }) => ({ session: await services.sessions.get(params.id) }),
  }),

  defineOperation({
    id: 'promptSession',
    tags,
    summary: 'Send a prompt to an ACP session (202 at once, or 200 when the turn ends with wait)',
    caller,
    params: SessionIdParamsSchema,
    body: PromptSessionRequestSchema,
    responses: {
      200: z.object({ turn: TurnSchema }),
      202: z.object({ turn: TurnSchema }),
      404: E,
      409: E,
      ...COMMON_ERRORS,
    },
    handle: async ({ params, body, services }) => {
      const started = await services.sessions.prompt(params.id, body.text);
      const base = { id: started.turn_id, session_id: started.session_id };
      if (!body.wait) {
        // Nobody awaits the turn now; its outcome is in the session's events.
        void started.done.catch(() => undefined);
        return new Reply(202, { turn: { ...base, state: 'running' as const } });
      }
      try {
        const result = await started.done;
        return {
          turn: { ...base, state: 'completed' as const, stop_reason: result.stopReason, text: result.text },
        };
      } catch (err) {
        return { turn: { ...base, state: 'failed' as const, error: (err as Error).message } };
      }
    },
  }),

  defineOperation({
    id: 'stopSession',
    tags,
    summary: 'Stop a session: its whole process tree ends (SIGTERM, then SIGKILL)',
    caller,
    params: SessionIdParamsSchema,
    body: StopSessionRequestSchema.nullish(),
    responses: { 200: SessionEnvelopeSchema, 404: E, 409: E, ...COMMON_ERRORS },
    handle: async ({ params, body, services }) => ({
      session: await services.sessions.stop(
        params.id,
        'user_canceled',
        body?.detail ?? 'stopped by the operator',
      ),
    }),
  }),
];
