// GET /api/tasks/{id}/stream: server-sent events over a task and its whole subtree (children created
// later included). `id:` is the global event sequence and `event:` the event type, so a client that
// reconnects with Last-Event-ID (or after_sequence) gets exactly the events it has not seen: the live
// subscription starts before the backlog is read, and anything at or below the last sequence sent is
// dropped. An HTTP route rather than an operation: a stream is inherently HTTP.
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { TaskKernel } from '../../tasks/kernel.ts';
import type { TaskReader } from '../../tasks/reader.ts';
import type { EventRecord } from '../../tasks/records.ts';
import type { TimelineView } from '../../tasks/views.ts';
import type { ZodApp } from '../app.ts';
import { SseStreams } from '../sse.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../../contract/common.ts';
import { StreamQuerySchema, TaskIdParamsSchema } from '../../contract/tasks.ts';
import type { ValidationRouteConfig } from '../error-handler.ts';

const E = ErrorResponseSchema;
/** Like the task operations: input that fails its schema is the contract's 422 task_invalid. */
const config: ValidationRouteConfig = { validationCode: 'task_invalid' };
const REPLAY_PAGE = 500;
/** A client that falls this far behind is cut off; it reconnects with Last-Event-ID. */
const MAX_PENDING = 256;

export function taskStreamRoute(app: ZodApp, deps: { kernel: TaskKernel; reader: TaskReader }): void {
  const streams = new SseStreams(app);

  app.get(
    '/api/tasks/:id/stream',
    {
      config,
      schema: {
        operationId: 'streamTask',
        tags: ['Tasks'],
        summary:
          'Live server-sent events for a task and its subtree; resumes after after_sequence or Last-Event-ID',
        params: TaskIdParamsSchema,
        querystring: StreamQuerySchema,
        response: { 200: z.string().describe('text/event-stream'), 404: E, 422: E, 503: E, ...COMMON_ERRORS },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const header = request.headers['last-event-id'];
      let last = request.query.after_sequence ?? 0;
      if (header !== undefined) {
        const value = Array.isArray(header) ? header[0] : header;
        if (!/^\d+$/.test(value ?? '')) {
          throw new AppError(
            'task_invalid',
            `Last-Event-ID must be an event sequence number, got "${value}"`,
          );
        }
        last = Number(value);
      }
      // Subscribed before the subtree and the backlog are read, so that nothing falls in between.
      let ready = false;
      const early: EventRecord[] = [];
      const unsubscribe = deps.kernel.bus.subscribe((event) => (ready ? consider(event) : early.push(event)));
      let subtree: Set<string>;
      try {
        subtree = new Set((await deps.kernel.read.tasks.subtree(id)).map((t) => t.id));
      } catch (err) {
        unsubscribe();
        throw err;
      }
      if (subtree.size === 0) {
        unsubscribe();
        throw new AppError('task_not_found', `task "${id}" not found`);
      }

      const stream = streams.open(request, reply, unsubscribe);
      const end = () => stream.end();
      let replaying = true;
      const pending: EventRecord[] = [];
      let sending: Promise<void> = Promise.resolve();
      const frame = (entry: TimelineView) =>
        stream.send(entry.sequence, entry.event_type, {
          sequence: entry.sequence,
          type: entry.event_type,
          timeline: entry,
        });
      // Events are turned into timeline entries (which read the store) one batch at a time, in order.
      const flush = () => {
        sending = sending.then(async () => {
          while (!stream.ended && !replaying && pending.length > 0) {
            const batch = pending.splice(0).filter((e) => e.seq > last);
            if (batch.length === 0) continue;
            for (const entry of await deps.reader.timelineEntries(batch)) {
              if (stream.ended || entry.sequence <= last) continue;
              last = entry.sequence;
              frame(entry);
            }
          }
        });
        sending.catch((err: unknown) => {
          request.log.error({ err, task_id: id }, 'task stream failed');
          end();
        });
      };
      function consider(event: EventRecord): void {
        if (stream.ended) return;
        // A new child (or grandchild) joins the subtree with its task.created event.
        const parent = event.type === 'task.created' ? event.payload.parent_task_id : undefined;
        if (typeof parent === 'string' && subtree.has(parent)) subtree.add(event.task_id);
        if (!subtree.has(event.task_id)) return;
        pending.push(event);
        if (pending.length > MAX_PENDING) {
          request.log.warn(
            { task_id: id },
            'task stream client too slow; closing it (it may resume with Last-Event-ID)',
          );
          end();
          return;
        }
        if (!replaying) flush();
      }
      ready = true;
      early.splice(0).forEach(consider);

      try {
        for (;;) {
          const page = await deps.kernel.read.events.ofTasks([...subtree], last, REPLAY_PAGE);
          const entries = await deps.reader.timelineEntries(page);
          for (const entry of entries) {
            if (stream.ended) return;
            if (entry.sequence <= last) continue;
            last = entry.sequence;
            frame(entry);
          }
          if (page.length < REPLAY_PAGE) break;
        }
      } catch (err) {
        request.log.error({ err, task_id: id }, 'cannot replay task events');
        end();
        return;
      }
      replaying = false;
      flush();
    },
  );
}
