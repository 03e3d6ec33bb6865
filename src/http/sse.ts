// Server-sent event streams: the response headers, keep-alive comments, the end of a stream when
// its client leaves or stops reading, and the end of every open stream when the daemon closes (so
// none holds shutdown up). Routes decide what to send; this decides how.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodApp } from './app.ts';

const KEEP_ALIVE_MS = 15_000;
/** A client that stops reading may not make the daemon hold more than this for it. */
const MAX_UNSENT_BYTES = 1024 * 1024;

export interface SseStream {
  readonly ended: boolean;
  /** One event: `id:`, `event:` and the JSON of `data`. */
  send(id: number, event: string, data: unknown): void;
  end(): void;
}

export class SseStreams {
  readonly #open = new Set<ServerResponse>();

  constructor(app: ZodApp) {
    app.addHook('preClose', async () => {
      for (const raw of this.#open) raw.end();
    });
  }

  /** Takes the response over and starts the stream; `onEnd` runs once, however it ends. */
  open(request: FastifyRequest, reply: FastifyReply, onEnd: () => void): SseStream {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    // Headers go out with the first bytes: a comment, so the client sees the stream open at once.
    raw.write(': open\n\n');
    this.#open.add(raw);
    let ended = false;
    const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      this.#open.delete(raw);
      raw.end();
      onEnd();
    };
    request.raw.on('close', end);
    raw.on('close', end);
    const stream: SseStream = {
      get ended() {
        return ended;
      },
      send(id, event, data) {
        if (ended) return;
        raw.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        if (raw.writableLength > MAX_UNSENT_BYTES) {
          request.log.warn('stream client stopped reading; closing it (it may resume with Last-Event-ID)');
          end();
        }
      },
      end,
    };
    // The client may have gone before the stream opened: its close event has passed already.
    if (raw.destroyed || request.raw.socket.destroyed) end();
    return stream;
  }
}
