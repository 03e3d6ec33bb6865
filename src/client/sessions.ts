// A small typed client for the Sessions API. Those routes are outside the wire contract
// (contract/openapi.json), so the generated client knows nothing of them; their shapes are those of
// src/contract/sessions.ts, whose Session matches the contract's. Every call answers like
// openapi-fetch does ({ data } or { error }, and the response), so the CLI handles both alike.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { components } from './api-types.ts';

export type Session = components['schemas']['Session'];
export type SessionState = components['schemas']['SessionState'];

export interface CreateSessionRequest {
  agent_name?: string;
  /** Workspace id, name, stable id or root directory; give this or `workspace_path`. */
  workspace?: string;
  /** Absolute path; the workspace is registered when it is unknown. */
  workspace_path?: string;
  name?: string;
  provider?: string;
  /** Needs `provider`. */
  model?: string;
}

export interface ListSessionsQuery {
  workspace?: string;
  state?: SessionState;
}

export interface PromptRequest {
  text: string;
  /** Answer when the turn ends (200) instead of at once (202). */
  wait?: boolean;
}

export interface Turn {
  id: string;
  session_id: string;
  state: 'running' | 'completed' | 'failed';
  stop_reason?: string;
  /** The agent's message for the turn (when waited for). */
  text?: string;
  error?: string;
}

/** One entry of a session's event log, as the event stream carries it. */
export interface SessionEvent {
  session_id: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  created_at: string;
}

/** The daemon's error envelope. */
export interface ApiError {
  error: string;
  diagnostic?: {
    code: string;
    title?: string;
    message?: string;
    id?: string;
    suggested_command?: string;
    evidence?: Record<string, unknown>;
  };
}

export interface SessionsResult<T> {
  data?: T;
  error?: ApiError;
  response: Response;
}

export interface EventsOptions {
  /** Replay the events after this sequence number (default 0: all of them). */
  after?: number;
  /** `false` ends the stream after what is stored; by default it follows until the session stops. */
  follow?: boolean;
  signal?: AbortSignal;
}

export class SessionsClient {
  readonly #baseUrl: string;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, token: string | undefined) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#headers = token ? { authorization: `Bearer ${token}` } : {};
  }

  create(body: CreateSessionRequest): Promise<SessionsResult<{ session: Session }>> {
    return this.#json('POST', '/api/sessions', body);
  }

  list(query: ListSessionsQuery = {}): Promise<SessionsResult<{ sessions: Session[] }>> {
    return this.#json('GET', `/api/sessions${queryString({ ...query })}`);
  }

  get(id: string): Promise<SessionsResult<{ session: Session }>> {
    return this.#json('GET', `/api/sessions/${encodeURIComponent(id)}`);
  }

  /** With `wait`, the answer comes when the turn ends, which may take far longer than fetch waits. */
  prompt(id: string, body: PromptRequest): Promise<SessionsResult<{ turn: Turn }>> {
    return this.#json('POST', `/api/sessions/${encodeURIComponent(id)}/prompt`, body, {
      untimed: body.wait === true,
    });
  }

  /** Idempotent: a stopped session is answered as it is. */
  stop(id: string, body: { detail?: string } = {}): Promise<SessionsResult<{ session: Session }>> {
    return this.#json('POST', `/api/sessions/${encodeURIComponent(id)}/stop`, body);
  }

  /**
   * Opens the session's event stream. The promise settles once the daemon has answered; the events
   * then arrive through the iterable, which ends when the stream does (after the session's `stopped`
   * state, or at once after the stored events with `follow: false`). Breaking out of the iteration
   * closes the connection.
   */
  async events(
    id: string,
    options: EventsOptions = {},
  ): Promise<SessionsResult<AsyncIterable<SessionEvent>>> {
    const query = queryString({
      after: options.after,
      follow: options.follow === false ? 'false' : undefined,
    });
    const response = await fetch(`${this.#baseUrl}/api/sessions/${encodeURIComponent(id)}/events${query}`, {
      headers: { ...this.#headers, accept: 'text/event-stream' },
      ...(options.signal && { signal: options.signal }),
    });
    if (!response.ok) return { error: await errorBody(response), response };
    if (!response.body) return { data: (async function* () {})(), response };
    return { data: parseEventStream(response.body), response };
  }

  async #json<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { untimed?: boolean } = {},
  ): Promise<SessionsResult<T>> {
    const init = {
      method,
      headers: {
        ...this.#headers,
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    };
    const url = `${this.#baseUrl}${path}`;
    const response = options.untimed ? await untimedFetch(url, init) : await fetch(url, init);
    if (!response.ok) return { error: await errorBody(response), response };
    return { data: (await response.json()) as T, response };
  }
}

/**
 * fetch for a request whose answer may take long: Node's fetch gives up on response headers after
 * five minutes, node:http waits as long as the connection lives. Fails like fetch does (a TypeError
 * whose cause is the network error).
 */
function untimedFetch(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      res.on('end', () => {
        const status = res.statusCode ?? 502;
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        }
        const empty = [101, 204, 205, 304].includes(status);
        resolve(
          new Response(empty ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? '',
            headers,
          }),
        );
      });
    });
    req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
    req.end(init.body);
  });
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function errorBody(response: Response): Promise<ApiError | undefined> {
  try {
    const body = (await response.json()) as unknown;
    return typeof body === 'object' && body !== null && typeof (body as ApiError).error === 'string'
      ? (body as ApiError)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The events of a text/event-stream body: each message's `data` is one SessionEvent as JSON.
 * Comments (`: keep-alive`) and messages without data are skipped.
 */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SessionEvent> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A line ends at CRLF, LF or CR; a CR at the very end may still be followed by its LF.
      let match: RegExpExecArray | null;
      const lineEnd = /\r\n|\n|\r(?!$)/g;
      let start = 0;
      while ((match = lineEnd.exec(buffer)) !== null) {
        const line = buffer.slice(start, match.index);
        start = match.index + match[0].length;
        if (line === '') {
          if (data.length > 0) yield JSON.parse(data.join('\n')) as SessionEvent;
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        // `id:`, `event:`, `retry:` and comments: the data already holds the seq and the type.
      }
      buffer = buffer.slice(start);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
