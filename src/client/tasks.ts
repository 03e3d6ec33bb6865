// Client helpers for the Tasks API that the generated client cannot give: the task stream
// (server-sent events), and a fetch without the five-minute wait for response headers, for calls
// that may block longer (claim-next with `wait`, scheduler drain).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { components } from './api-types.ts';

export type Task = components['schemas']['Task'];
export type TaskListItem = components['schemas']['TaskListItem'];
export type TaskDetail = components['schemas']['TaskDetail'];
export type TaskRun = components['schemas']['TaskRun'];
export type TaskRunSummary = components['schemas']['TaskRunSummary'];
export type TaskEvent = components['schemas']['TaskEvent'];
export type TaskTree = components['schemas']['TaskTree'];
export type TaskTreeNode = components['schemas']['TaskTreeNode'];
export type TaskTimelineEntry = components['schemas']['TaskTimelineEntry'];
export type TaskStatus = components['schemas']['TaskStatus'];
export type TaskPriority = components['schemas']['TaskPriority'];
export type OwnerRef = components['schemas']['OwnerRef'];
export type OwnerKind = components['schemas']['OwnerKind'];
export type TaskClaim = components['schemas']['TaskClaim'];
export type TaskLease = components['schemas']['TaskLease'];
export type SchedulerStatus = components['schemas']['SchedulerStatus'];
export type SchedulerBacklog = components['schemas']['SchedulerBacklog'];
export type SchedulerDrainResult = components['schemas']['SchedulerDrainResult'];
export type TaskStreamEvent = components['schemas']['TaskStreamEvent'];

// The value sets are the kernel's own (plain constants, shared rather than copied).
export { OWNER_KINDS, TASK_PRIORITIES, TASK_STATUSES } from '../contract/vocabulary.ts';

/** The daemon's error envelope. */
export interface ApiErrorBody {
  error: string;
  diagnostic?: { code?: string; suggested_command?: string } | null;
}

export interface TaskStreamOptions {
  /** Replay the events after this sequence first (the `after_sequence` query parameter). */
  after?: number;
  /** On a reconnect: the last sequence seen, sent as `Last-Event-ID`. */
  lastEventId?: number;
  signal?: AbortSignal;
}

export interface TaskStreamResult {
  response: Response;
  error?: ApiErrorBody;
  /** The events, in order; the iteration ends when the daemon closes the stream. */
  events?: AsyncIterable<TaskStreamEvent>;
}

/** Opens `GET /api/tasks/{id}/stream`; settles once the daemon has answered. */
export async function openTaskStream(
  baseUrl: string,
  token: string | undefined,
  id: string,
  options: TaskStreamOptions = {},
): Promise<TaskStreamResult> {
  const query = options.after !== undefined ? `?after_sequence=${options.after}` : '';
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const url = `${baseUrl.replace(/\/+$/, '')}/api/tasks/${encodeURIComponent(id)}/stream${query}`;
  const response = await fetch(url, { headers, ...(options.signal && { signal: options.signal }) });
  if (!response.ok) return { response, error: await errorBody(response) };
  const frames = response.body ? parseServerSentEvents(response.body) : (async function* () {})();
  return { response, events: streamEvents(frames) };
}

async function* streamEvents(frames: AsyncIterable<ServerSentEvent>): AsyncGenerator<TaskStreamEvent> {
  for await (const frame of frames) {
    if (frame.data === '') continue;
    yield JSON.parse(frame.data) as TaskStreamEvent;
  }
}

export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * The messages of a text/event-stream body. Comment lines (`: keep-alive`) are skipped; a message
 * is dispatched at its blank line.
 */
export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let message: { id?: string; event?: string; data: string[] } = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A line ends at CRLF, LF or CR; a CR at the very end may still be followed by its LF.
      const lineEnd = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      let match: RegExpExecArray | null;
      while ((match = lineEnd.exec(buffer)) !== null) {
        const line = buffer.slice(start, match.index);
        start = match.index + match[0].length;
        if (line === '') {
          if (message.data.length > 0 || message.event !== undefined) {
            yield {
              ...(message.id !== undefined && { id: message.id }),
              ...(message.event !== undefined && { event: message.event }),
              data: message.data.join('\n'),
            };
          }
          message = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') message.data.push(value);
        else if (field === 'event') message.event = value;
        else if (field === 'id') message.id = value;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function errorBody(response: Response): Promise<ApiErrorBody | undefined> {
  try {
    const body = (await response.json()) as unknown;
    return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).error === 'string'
      ? (body as ApiErrorBody)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A fetch for openapi-fetch's `fetch` option, for requests whose answer may take long: Node's fetch
 * gives up on response headers after five minutes, node:http waits as long as the connection lives.
 * Fails like fetch does (a TypeError whose cause is the network error); honours the request's signal.
 */
export async function untimedFetch(input: Request): Promise<Response> {
  const body = input.body ? Buffer.from(await input.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  input.headers.forEach((v, k) => {
    headers[k] = v;
  });
  return new Promise((resolve, reject) => {
    const target = new URL(input.url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: input.method, headers, signal: input.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      res.on('end', () => {
        const status = res.statusCode ?? 502;
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
        }
        const empty = [101, 204, 205, 304].includes(status);
        resolve(
          new Response(empty ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? '',
            headers: out,
          }),
        );
      });
    });
    req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
    req.end(body);
  });
}
