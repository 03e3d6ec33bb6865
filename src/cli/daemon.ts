// agh daemon start|stop|status
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfig, resolveHome } from '../daemon/config.ts';
import type { startDaemon } from '../daemon/daemon.ts';
import { isAghDaemon, readDaemonInfo } from '../daemon/daemon-file.ts';
import { DaemonAlreadyRunning } from '../daemon/lock.ts';
import { prepareHome } from '../daemon/home.ts';
import { daemonUrl } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printFields, printJson } from './output.ts';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;
const POLL_MS = 100;

export function registerDaemonCommands(program: Command): void {
  const daemon = program.command('daemon').description('run and control the agh daemon');

  daemon
    .command('start')
    .description('start the daemon (in the background unless --foreground)')
    .option('-f, --foreground', 'run in this terminal; Ctrl-C stops it')
    .action(async (opts: { foreground?: boolean }) => {
      if (opts.foreground) await runForeground();
      else await startBackground();
    });

  daemon
    .command('stop')
    .description('stop the running daemon and wait until it has exited')
    .action(async () => stop());

  daemon
    .command('status')
    .description('show whether the daemon is running, where, and on which database')
    .action(async (_opts, cmd: Command) => status(outputFormat(cmd.optsWithGlobals().output)));
}

async function runForeground(): Promise<void> {
  const config = loadConfigOrExit();
  // Signals are caught before the daemon says it is ready (its log line, daemon.json): a stop sent
  // right after that must shut it down gracefully, not kill it. During start-up a signal still
  // ends the process at once, as it would without a handler.
  let running: Awaited<ReturnType<typeof startDaemon>> | undefined;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    const daemon = running;
    if (!daemon) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    signals += 1;
    if (signals > 1) {
      daemon.logger.warn(`second ${signal}: exiting without waiting`);
      process.exit(130);
    }
    daemon.logger.info(`${signal} received`);
    daemon.close().then(
      () => process.exit(0),
      (err: unknown) => {
        daemon.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    // Loaded here, not at the top: every other command is a small HTTP client, and the daemon's
    // modules (Fastify, Kysely, the drivers) were half of each command's start-up time.
    const { startDaemon } = await import('../daemon/daemon.ts');
    running = await startDaemon(config, { logToStdout: true });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { exitCode: 2 });
    if (err instanceof DaemonAlreadyRunning)
      throw new CliError(err.message, { hint: 'agh daemon status shows it' });
    throw err;
  }
}

async function startBackground(): Promise<void> {
  const config = loadConfigOrExit();
  const before = await readDaemonInfo(config.home);
  if (before && isAghDaemon(before.pid)) {
    process.stdout.write(`agh daemon is already running (pid ${before.pid}) at ${before.url}\n`);
    return;
  }
  await prepareHome(config.home);
  const outFile = join(config.home, 'logs', 'daemon.out');
  const out = openSync(outFile, 'a');
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const child = spawn(process.execPath, [main, 'daemon', 'start', '--foreground'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  child.unref();
  process.stdout.write(`starting agh daemon (pid ${child.pid}), logs in ${outFile} ...\n`);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      // The foreground daemon's exit code already says what kind of failure it was (2: configuration).
      throw new CliError(`the daemon exited during start-up (code ${exited})`, {
        hint: lastLines(outFile),
        exitCode: exited !== null && exited > 0 ? exited : 1,
      });
    }
    const info = await readDaemonInfo(config.home);
    if (info && info.pid === child.pid && (await isReady(info.url))) {
      process.stdout.write(`agh daemon is running (pid ${info.pid}) at ${info.url}\n`);
      return;
    }
    await delay(POLL_MS);
  }
  throw new CliError(`the daemon did not become ready within ${READY_TIMEOUT_MS / 1000} s`, {
    hint: lastLines(outFile),
  });
}

async function stop(): Promise<void> {
  const home = resolveHome();
  const info = await readDaemonInfo(home);
  if (!info || !isAghDaemon(info.pid)) {
    process.stdout.write('agh daemon is not running\n');
    return;
  }
  process.kill(info.pid, 'SIGTERM');
  process.stdout.write(`stopping agh daemon (pid ${info.pid}) ...\n`);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAghDaemon(info.pid)) {
      process.stdout.write('agh daemon stopped\n');
      return;
    }
    await delay(POLL_MS);
  }
  throw new CliError(`the daemon (pid ${info.pid}) is still running after ${STOP_TIMEOUT_MS / 1000} s`, {
    hint: `kill -9 ${info.pid} forces it`,
  });
}

interface DaemonStatus {
  version: string;
  uptime_seconds: number;
  database: { dialect: string };
}

async function status(format: 'table' | 'json'): Promise<void> {
  // The probe needs no token, so a missing or broken token file never hides the daemon's state.
  const home = resolveHome();
  const conn = { home, url: await daemonUrl(home) };
  const info = await readDaemonInfo(conn.home);
  // The readiness probe is not part of the API contract, so it is fetched directly.
  const live = await fetchStatus(conn.url);
  if (!live) {
    if (format === 'json') printJson({ running: false, url: conn.url });
    else process.stdout.write(`agh daemon is not running (looked at ${conn.url})\n`);
    process.exitCode = 3;
    return;
  }
  if (format === 'json') {
    printJson({ running: true, url: conn.url, pid: info?.pid, ...live });
    return;
  }
  printFields([
    ['status', 'running'],
    ['url', conn.url],
    ['pid', info?.pid],
    ['version', live.version],
    ['uptime', `${live.uptime_seconds} s`],
    ['database', live.database.dialect],
    ['home', conn.home],
  ]);
}

async function fetchStatus(url: string): Promise<DaemonStatus | undefined> {
  try {
    const res = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as DaemonStatus) : undefined;
  } catch {
    return undefined;
  }
}

async function isReady(url: string): Promise<boolean> {
  return (await fetchStatus(url)) !== undefined;
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { exitCode: 2 });
    throw err;
  }
}

function lastLines(file: string, n = 15): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return `last lines of ${file}:\n${lines.slice(-n).join('\n')}`;
  } catch {
    return `see ${file}`;
  }
}
