// GET /api/tasks/{id}/stream: server-sent events over a task and its whole subtree (children created
// later included). `id:` is the global event sequence and `event:` the event type, so a client that
// reconnects with Last-Event-ID (or after_sequence) gets exactly the events it has not seen: the live
// subscription starts before the backlog is read, and anything at or below the last sequence sent is
// dropped.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { TaskKernel } from '../../tasks/kernel.ts';
import type { TaskReader } from '../../tasks/reader.ts';
import type { EventRecord } from '../../tasks/records.ts';
import type { TimelineView } from '../../tasks/views.ts';
import type { ZodApp } from '../app.ts';
import { COMMON_ERRORS, ErrorResponseSchema } from '../schemas/common.ts';
import { StreamQuerySchema, TaskIdParamsSchema } from '../schemas/tasks.ts';
import { TASK_ROUTE_CONFIG } from './tasks.ts';

const E = ErrorResponseSchema;
const REPLAY_PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
/** A client that falls this far behind is cut off; it reconnects with Last-Event-ID. */
const MAX_PENDING = 256;
/** Nor may a client that stops reading make the daemon hold more than this for it. */
const MAX_UNSENT_BYTES = 1024 * 1024;

export function taskStreamRoute(app: ZodApp, deps: { kernel: TaskKernel; reader: TaskReader }): void {
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
  });

  app.get(
    '/api/tasks/:id/stream',
    {
      config: TASK_ROUTE_CONFIG,
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

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write(': stream open\n\n');
      streams.add(raw);

      let ended = false;
      let replaying = true;
      const pending: EventRecord[] = [];
      let sending: Promise<void> = Promise.resolve();
      const end = () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        clearInterval(keepAlive);
        streams.delete(raw);
        raw.end();
      };
      const frame = (entry: TimelineView) => {
        const data = { sequence: entry.sequence, type: entry.event_type, timeline: entry };
        raw.write(`id: ${entry.sequence}\nevent: ${entry.event_type}\ndata: ${JSON.stringify(data)}\n\n`);
        if (raw.writableLength > MAX_UNSENT_BYTES) {
          request.log.warn(
            { task_id: id },
            'task stream client stopped reading; closing it (it may resume with Last-Event-ID)',
          );
          end();
        }
      };
      // Events are turned into timeline entries (which read the store) one batch at a time, in order.
      const flush = () => {
        sending = sending.then(async () => {
          while (!ended && !replaying && pending.length > 0) {
            const batch = pending.splice(0).filter((e) => e.seq > last);
            if (batch.length === 0) continue;
            for (const entry of await deps.reader.timelineEntries(batch)) {
              if (ended || entry.sequence <= last) continue;
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
        if (ended) return;
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
      const keepAlive = setInterval(() => raw.write(': ping\n\n'), KEEP_ALIVE_MS);
      keepAlive.unref();
      request.raw.on('close', end);
      raw.on('close', end);
      // The client may have gone while the subtree was read: its close event has passed already.
      if (raw.destroyed || request.raw.socket.destroyed) end();

      try {
        for (;;) {
          const page = await deps.kernel.read.events.ofTasks([...subtree], last, REPLAY_PAGE);
          const entries = await deps.reader.timelineEntries(page);
          for (const entry of entries) {
            if (ended) return;
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
