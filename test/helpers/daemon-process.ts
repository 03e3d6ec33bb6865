// Real `bin/agh` child processes for daemon and CLI tests: run a command and capture its output, or
// start a foreground daemon and wait for the URL it logs. Every child is tracked so `killStarted()`
// (call it in `after()`) leaves nothing running, even when a test failed half-way.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '../../src/daemon/daemon-file.ts';

export const AGH_BIN = fileURLToPath(new URL('../../bin/agh', import.meta.url));
/** Bounds only a failure (a command or daemon that hangs): generous, so that a busy machine never
 * turns a slow pass into a failure. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export type Env = Record<string, string | undefined>;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const started = new Set<ChildProcess>();
const homes = new Set<string>();
const scratch = new Set<string>();

/**
 * The environment for an agh child: this process's environment without any AGH_* variable (a
 * developer's own AGH_OPERATOR_TOKEN or AGH_DATABASE_URL must not leak in) nor the test runner's
 * markers, plus `extra`. An `undefined` value in `extra` removes the variable.
 */
export function aghEnv(extra: Env = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AGH_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A fresh AGH_HOME; `removeTempDirs()` deletes it. */
export function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'agh-home-'));
  homes.add(home);
  return home;
}

/** A fresh scratch directory (e.g. a workspace root); `removeTempDirs()` deletes it. */
export function tempDir(prefix = 'agh-ws-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.add(dir);
  return dir;
}

/** Removes every directory made by `tempHome()` and `tempDir()`; call it after `killStarted()`. */
export function removeTempDirs(): void {
  for (const dir of [...homes, ...scratch]) rmSync(dir, { recursive: true, force: true });
  homes.clear();
  scratch.clear();
}

function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
}

/** Runs `bin/agh args…` to completion; rejects (after killing it) when it outlives `timeoutMs`. */
export function runAgh(
  args: string[],
  /** `command` replaces bin/agh, e.g. with a shell that pipes agh's output somewhere. */
  options: { env?: Env; cwd?: string; timeoutMs?: number; command?: string } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(options.command ?? AGH_BIN, args, {
      cwd: options.cwd ?? tmpdir(),
      env: aghEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `agh ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ForegroundDaemon {
  child: ChildProcess;
  pid: number;
  home: string;
  /** The URL from the "agh daemon listening on …" log line. */
  url: string;
  /** Everything the daemon wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is complete. */
  exited: Promise<ExitStatus>;
  /** Sends `signal` and waits for the exit; SIGKILLs and rejects after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

const LISTENING = /agh daemon listening on (http:\/\/\S+)/;

/**
 * Starts `bin/agh daemon start --foreground` with `AGH_HOME=home` and `AGH_HTTP_PORT=0` (unless `env`
 * says otherwise) and resolves once its stdout (JSON log lines) announces the URL. Rejects with the
 * output when it exits first or stays silent past `timeoutMs`.
 */
export async function startForegroundDaemon(
  home: string,
  options: { env?: Env; timeoutMs?: number } = {},
): Promise<ForegroundDaemon> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(AGH_BIN, ['daemon', 'start', '--foreground'], {
    cwd: tmpdir(),
    env: aghEnv({ AGH_HOME: home, AGH_HTTP_PORT: '0', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let status: ExitStatus | undefined;
  void exited.then((s) => {
    status = s;
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;

  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (url === undefined) {
    url = listeningUrl(stdout);
    if (url !== undefined) break;
    if (status) throw new Error(`the daemon exited (${describeExit(status)}) before listening\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the daemon did not log its URL within ${timeoutMs} ms\n${output()}`);
    }
    await delay(20);
  }
  if (child.pid === undefined) throw new Error('spawn gave no pid');

  return {
    child,
    pid: child.pid,
    home,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM', stopTimeoutMs = DEFAULT_TIMEOUT_MS) {
      if (!status) child.kill(signal);
      return withDeadline(exited, stopTimeoutMs, () => {
        child.kill('SIGKILL');
        return `the daemon did not exit within ${stopTimeoutMs} ms of ${signal}\n${output()}`;
      });
    },
  };
}

/** The URL of the first JSON log line whose msg says the daemon listens. */
export function listeningUrl(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    let entry: { msg?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const match = typeof entry.msg === 'string' ? LISTENING.exec(entry.msg) : null;
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** `promise`, or a rejection with `onTimeout()`'s message once `ms` have passed. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(onTimeout())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function isAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

/** The pid recorded in `$home/daemon.json`, if any. */
export function daemonFilePid(home: string): number | undefined {
  const file = join(home, 'daemon.json');
  if (!existsSync(file)) return undefined;
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SIGKILLs every child this file started that is still running, and every daemon recorded in the
 * daemon.json of a home made by `tempHome()` (background daemons are not our direct children).
 * Only pids this test file started are touched.
 */
export function killStarted(): void {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  started.clear();
  const pids = new Set<number>();
  for (const home of homes) {
    const pid = daemonFilePid(home);
    if (pid !== undefined) pids.add(pid);
  }
  for (const pid of pids) {
    if (pid !== process.pid && isAlive(pid) && isAghProcess(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited between the check and the kill: nothing left to do.
      }
    }
  }
}

/** Guards against a stale daemon.json whose pid now belongs to an unrelated process. */
function isAghProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/cli/main.ts');
  } catch {
    // No /proc (not Linux): the pid came from a home this file made, trust it.
    return !existsSync('/proc/self');
  }
}

/** A loopback port that nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
