// Daemon configuration: environment variables first, then $AGH_HOME/config.toml, then defaults.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type FileConfig, readConfigFile } from '../settings/config-file.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonConfig {
  home: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** `postgres://…`, or the SQLite file path. */
  database: string;
  /** From AGH_OPERATOR_TOKEN; otherwise the token file under home is used. */
  operatorToken?: string;
  logLevel: LogLevel;
  /** Binding to a non-loopback address must be asked for explicitly. */
  allowRemote: boolean;
  /** The rest of config.toml: providers, defaults, session limits, per-workspace defaults. */
  file: FileConfig;
}

export const DEFAULT_PORT = 2123;
export const DEFAULT_HOST = '127.0.0.1';

export { ConfigError };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const home = resolveHome(env);
  const file = readConfigFile(join(home, 'config.toml'));

  const host = nonEmpty(env.AGH_HTTP_HOST) ?? file.http?.host ?? DEFAULT_HOST;
  const port = parsePort(nonEmpty(env.AGH_HTTP_PORT) ?? file.http?.port ?? DEFAULT_PORT);
  const database = nonEmpty(env.AGH_DATABASE_URL) ?? file.database?.url ?? join(home, 'agh.db');
  const logLevel = parseLogLevel(nonEmpty(env.AGH_LOG_LEVEL) ?? file.log?.level ?? 'info');
  const allowRemote =
    parseBool(nonEmpty(env.AGH_HTTP_ALLOW_REMOTE), 'AGH_HTTP_ALLOW_REMOTE') ??
    file.http?.allow_remote ??
    false;
  const config: DaemonConfig = { home, host, port, database, logLevel, allowRemote, file };
  const token = nonEmpty(env.AGH_OPERATOR_TOKEN);
  if (token !== undefined) config.operatorToken = validateOperatorToken(token, 'AGH_OPERATOR_TOKEN');
  return config;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const raw = nonEmpty(env.AGH_HOME);
  if (raw === undefined) return join(homedir(), '.agh');
  const expanded = raw.startsWith('~/') ? join(homedir(), raw.slice(2)) : raw;
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 512;

/**
 * A token must travel in an HTTP header and be guessable by nobody: printable ASCII without spaces
 * (anything else cannot be sent as `Bearer <token>` as typed), at least 16 characters.
 */
export function validateOperatorToken(token: string, source: string): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(
      `${source} must be printable ASCII without spaces (it is sent as "Authorization: Bearer <token>")`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) {
    throw new ConfigError(
      `${source} must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters long, got ${token.length}; ` +
        'for example: openssl rand -hex 32',
    );
  }
  return token;
}

function parsePort(value: string | number): number {
  // Number() would take "0x10", "1e3" or " 80 " as ports; only plain decimal digits are.
  const n = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(
      `AGH_HTTP_PORT must be an integer from 0 to 65535 (0 picks a free port), got "${value}"`,
    );
  }
  return n;
}

function parseLogLevel(value: string): LogLevel {
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`AGH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return level as LogLevel;
}

function parseBool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}
