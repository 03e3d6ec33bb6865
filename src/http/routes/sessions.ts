// Sessions API for operators (outside the wire contract; ARCHITECTURE §2): start, list, show,
// prompt, stop, and follow a session's events as a server-sent event stream.
import { z } from 'zod';
import type { SessionManager } from '../../sessions/index.ts';
import type { SessionEventRow } from '../../sessions/store.ts';
import type { WorkspaceService } from '../../workspaces/index.ts';
import type { ZodApp } from '../app.ts';
import { SseStreams } from '../sse.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import {
  CreateSessionRequestSchema,
  ListSessionsQuerySchema,
  PromptSessionRequestSchema,
  SessionEnvelopeSchema,
  SessionEventsQuerySchema,
  SessionIdParamsSchema,
  SessionSchema,
  StopSessionRequestSchema,
  TurnSchema,
} from '../../contract/sessions.ts';

const tags = ['Sessions'];
const E = ErrorResponseSchema;
const REPLAY_PAGE = 500;

export function sessionRoutes(app: ZodApp, sessions: SessionManager, workspaces: WorkspaceService): void {
  const streams = new SseStreams(app);

  app.post(
    '/api/sessions',
    {
      schema: {
        operationId: 'createSession',
        tags,
        summary: 'Start an agent session in a workspace',
        body: CreateSessionRequestSchema,
        response: { 201: SessionEnvelopeSchema, 404: E, 409: E, 410: E, 422: E, 503: E, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => reply.status(201).send({ session: await sessions.create(request.body) }),
  );

  app.get(
    '/api/sessions',
    {
      schema: {
        operationId: 'listSessions',
        tags,
        summary: 'Sessions, newest first',
        querystring: ListSessionsQuerySchema,
        response: { 200: z.object({ sessions: z.array(SessionSchema) }), 404: E, ...COMMON_ERRORS },
      },
    },
    async (request) => {
      const { workspace, state } = request.query;
      const workspace_id = workspace === undefined ? undefined : (await workspaces.find(workspace)).id;
      return {
        sessions: await sessions.list({
          ...(workspace_id !== undefined ? { workspace_id } : {}),
          ...(state !== undefined ? { state } : {}),
        }),
      };
    },
  );

  app.get(
    '/api/sessions/:id',
    {
      schema: {
        operationId: 'getSession',
        tags,
        summary: 'One session with its health, lineage and stop reason',
        params: SessionIdParamsSchema,
        response: { 200: SessionEnvelopeSchema, 404: E, ...COMMON_ERRORS },
      },
    },
    async (request) => ({ session: await sessions.get(request.params.id) }),
  );

  app.post(
    '/api/sessions/:id/prompt',
    {
      schema: {
        operationId: 'promptSession',
        tags,
        summary: 'Send a prompt to an ACP session (202 at once, or 200 when the turn ends with wait)',
        params: SessionIdParamsSchema,
        body: PromptSessionRequestSchema,
        response: {
          200: z.object({ turn: TurnSchema }),
          202: z.object({ turn: TurnSchema }),
          404: E,
          409: E,
          ...COMMON_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const started = await sessions.prompt(request.params.id, request.body.text);
      const base = { id: started.turn_id, session_id: started.session_id };
      if (!request.body.wait) {
        void started.done.catch(() => undefined);
        return reply.status(202).send({ turn: { ...base, state: 'running' as const } });
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
  );

  app.post(
    '/api/sessions/:id/stop',
    {
      schema: {
        operationId: 'stopSession',
        tags,
        summary: 'Stop a session: its whole process tree ends (SIGTERM, then SIGKILL)',
        params: SessionIdParamsSchema,
        body: StopSessionRequestSchema.nullish(),
        response: { 200: SessionEnvelopeSchema, 404: E, 409: E, ...COMMON_ERRORS },
      },
    },
    async (request) => ({
      session: await sessions.stop(
        request.params.id,
        'user_canceled',
        request.body?.detail ?? 'stopped by the operator',
      ),
    }),
  );

  app.get(
    '/api/sessions/:id/events',
    {
      schema: {
        operationId: 'streamSessionEvents',
        tags,
        summary: 'Server-sent events of a session: replayed from `after` (or Last-Event-ID), then live',
        params: SessionIdParamsSchema,
        querystring: SessionEventsQuerySchema,
        response: { 200: z.string().describe('text/event-stream'), 404: E, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const record = await sessions.record(id);
      const lastEventId = Number(request.headers['last-event-id']);
      let last = request.query.after ?? (Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0);
      const follow = request.query.follow !== 'false';

      let replaying = true;
      const buffered: SessionEventRow[] = [];
      let unsubscribe = () => {};
      const stream = streams.open(request, reply, () => unsubscribe());
      const end = () => stream.end();
      const send = (event: SessionEventRow) => {
        if (stream.ended || event.seq <= last) return;
        last = event.seq;
        stream.send(event.seq, event.type, event);
        if (event.type === 'state' && event.data.state === 'stopped') end();
      };
      unsubscribe = sessions.events.subscribe(id, (event) =>
        replaying ? buffered.push(event) : send(event),
      );
      if (stream.ended) unsubscribe();
      try {
        for (;;) {
          const page = await sessions.events.list(id, last, REPLAY_PAGE);
          page.forEach(send);
          if (page.length < REPLAY_PAGE || stream.ended) break;
        }
      } catch (err) {
        request.log.error({ err, session_id: id }, 'cannot replay session events');
        end();
        return;
      }
      replaying = false;
      buffered.splice(0).forEach(send);
      const stillStopped = record.state === 'stopped' && !sessions.isLiveHere(id);
      if (!follow || stillStopped) end();
    },
  );
}
