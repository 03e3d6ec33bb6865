// The daemon's home directory: its database, token, logs and per-session files.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileExclusive } from '../lib/files.ts';
import { ConfigError, validateOperatorToken } from './config.ts';
import { newSecretToken } from '../lib/ids.ts';

export const HOME_DIRS = ['agents', 'skills', 'logs', 'sessions'] as const;
export const TOKEN_FILE = 'operator.token';
export const DAEMON_FILE = 'daemon.json';

export async function prepareHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  for (const dir of HOME_DIRS) await mkdir(join(home, dir), { recursive: true, mode: 0o700 });
}

export function tokenPath(home: string): string {
  return join(home, TOKEN_FILE);
}

/**
 * The operator token: the configured one, else the one in `$AGH_HOME/operator.token`, else a new one
 * written there with mode 0600. Returns where it came from, never logs it.
 */
export async function loadOrCreateOperatorToken(
  home: string,
  configured?: string,
): Promise<{ token: string; source: 'environment' | 'file' | 'generated' }> {
  if (configured) return { token: configured, source: 'environment' };
  const file = tokenPath(home);
  const existing = await readTokenFile(file);
  if (existing) {
    validateOperatorToken(existing, file);
    await tightenMode(file);
    return { token: existing, source: 'file' };
  }
  const token = newSecretToken();
  if (await createFileExclusive(file, `${token}\n`, 0o600)) return { token, source: 'generated' };
  // Another process created the file first: its token wins.
  const winner = await readTokenFile(file);
  if (!winner) {
    throw new ConfigError(
      `${file} exists but holds no token; write the operator token in it, or delete it to have a new one generated`,
    );
  }
  validateOperatorToken(winner, file);
  return { token: winner, source: 'file' };
}

export async function readTokenFile(file: string): Promise<string | undefined> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(
      `cannot read the operator token file ${file} (${code ?? 'error'}); it must be a file holding the token`,
    );
  }
}

async function tightenMode(file: string): Promise<void> {
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
}
