// How the CLI finds and talks to the daemon: the URL from $AGH_HOME/daemon.json (else the configured
// host and port), the token from AGH_OPERATOR_TOKEN (else $AGH_HOME/operator.token).
import { type AghClient, createAghClient } from '../client/index.ts';
import { ConfigError, DEFAULT_HOST, DEFAULT_PORT, resolveHome } from '../daemon/config.ts';
import { readDaemonInfo } from '../daemon/daemon-file.ts';
import { readTokenFile, tokenPath } from '../daemon/home.ts';
import { CliError } from './errors.ts';

export interface Connection {
  home: string;
  url: string;
  /** The operator token, for requests the typed client cannot make (routes outside the contract). */
  token: string | undefined;
  client: AghClient;
}

export async function daemonUrl(home: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const info = await readDaemonInfo(home);
  if (info?.url) return info.url;
  const host = env.AGH_HTTP_HOST?.trim() || DEFAULT_HOST;
  const port = env.AGH_HTTP_PORT?.trim() || String(DEFAULT_PORT);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function connect(env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const home = resolveHome(env);
  const url = await daemonUrl(home, env);
  let token = env.AGH_OPERATOR_TOKEN?.trim();
  try {
    token ||= await readTokenFile(tokenPath(home));
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { exitCode: 2 });
    throw err;
  }
  // fetch refuses such a header outright; say so instead of "cannot reach the daemon".
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError('the operator token holds spaces or characters outside printable ASCII', {
      hint: `set AGH_OPERATOR_TOKEN to the daemon's token, or check ${tokenPath(home)}`,
      exitCode: 4,
    });
  }
  return { home, url, token, client: createAghClient(url, token) };
}

interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs one API call and returns its data, or throws a CliError that says what to do: the daemon is
 * not running, the token is wrong, or the daemon's own error message.
 */
export async function call<T>(conn: Connection, request: () => Promise<ApiResult<T>>): Promise<T> {
  let result: ApiResult<T>;
  try {
    result = await request();
  } catch (err) {
    throw new CliError(`cannot reach the agh daemon at ${conn.url} (${describeFetchError(err)})`, {
      hint: 'start it with: agh daemon start',
      exitCode: 3,
    });
  }
  if (result.response.ok) return result.data as T;
  const body = result.error as { error?: string; diagnostic?: { suggested_command?: string } } | undefined;
  if (result.response.status === 401) {
    throw new CliError(`the daemon at ${conn.url} rejected the operator token`, {
      hint: `set AGH_OPERATOR_TOKEN to the daemon's token, or check ${tokenPath(conn.home)}`,
      exitCode: 4,
    });
  }
  const message = body?.error ?? `${result.response.status} ${result.response.statusText}`;
  const suggestion = body?.diagnostic?.suggested_command;
  throw new CliError(message, suggestion ? { hint: `try: ${suggestion}` } : {});
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
