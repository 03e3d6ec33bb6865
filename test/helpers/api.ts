// The one way tests talk HTTP: every reply passes through the contract check before the test sees it.
import type { FastifyInstance } from 'fastify';
import { assertConforms } from './contract.ts';

export interface ApiReply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, for malformed-input tests. */
  raw?: string | Buffer;
  contentType?: string;
  /** `null` sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  /** `false` keeps the reply out of the contract-coverage record (for sweeps and probes, which
   * must not make an operation count as exercised). */
  record?: boolean;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class Api {
  readonly #target: FastifyInstance | string;
  readonly #token: string;

  /** `target` is an app (requests are injected) or a base URL (requests go over the network). */
  constructor(target: FastifyInstance | string, token: string) {
    this.#target = target;
    this.#token = token;
  }

  get = <T = any>(url: string, o?: RequestOptions) => this.request<T>('GET', url, o);
  post = <T = any>(url: string, o?: RequestOptions) => this.request<T>('POST', url, o);
  patch = <T = any>(url: string, o?: RequestOptions) => this.request<T>('PATCH', url, o);
  put = <T = any>(url: string, o?: RequestOptions) => this.request<T>('PUT', url, o);
  delete = <T = any>(url: string, o?: RequestOptions) => this.request<T>('DELETE', url, o);

  async request<T = any>(method: Method, url: string, options: RequestOptions = {}): Promise<ApiReply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.#token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';

    const reply =
      typeof this.#target === 'string'
        ? await viaFetch(`${this.#target}${url}`, method, headers, payload)
        : await viaInject(this.#target, url, method, headers, payload);
    const body = assertConforms(method, url, reply, { record: options.record ?? true }) as T;
    return { ...reply, body };
  }
}

async function viaInject(
  app: FastifyInstance,
  url: string,
  method: Method,
  headers: Record<string, string>,
  payload?: string | Buffer,
) {
  const res = await app.inject({ method, url, headers, ...(payload !== undefined && { payload }) });
  return {
    status: res.statusCode,
    headers: res.headers as Record<string, string | string[] | undefined>,
    text: res.body,
  };
}

async function viaFetch(
  url: string,
  method: Method,
  headers: Record<string, string>,
  payload?: string | Buffer,
) {
  const res = await fetch(url, { method, headers, ...(payload !== undefined && { body: payload }) });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}
