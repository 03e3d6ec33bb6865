// The typed HTTP client of the daemon API, generated from contract/openapi.json. The CLI uses it, and
// so will the web UI.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './api-types.ts';

export type AghClient = Client<paths>;

export function createAghClient(baseUrl: string, token: string | undefined): AghClient {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  return createClient<paths>({ baseUrl, headers });
}
