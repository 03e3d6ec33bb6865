// GET /api/sessions/{id}/events: a session's events as server-sent events, replayed from `after`
// (or Last-Event-ID), then live. An HTTP route rather than an operation: a stream is inherently
// HTTP. The rest of the operator's sessions API is in src/operations/sessions.ts.
import { z } from 'zod';
import type { SessionManager } from '../../sessions/index.ts';
import type { SessionEventRow } from '../../sessions/store.ts';
import type { ZodApp } from '../app.ts';
import { SseStreams } from '../sse.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import { SessionEventsQuerySchema, SessionIdParamsSchema } from '../../contract/sessions.ts';

const tags = ['Sessions'];
const E = ErrorResponseSchema;
const REPLAY_PAGE = 500;

export function sessionStreamRoute(app: ZodApp, sessions: SessionManager): void {
  const streams = new SseStreams(app);

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
