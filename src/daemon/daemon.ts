// Boot and shutdown of the daemon: home, logs, token, store, services, HTTP.
import type { Logger } from 'pino';
import { buildApp, type ZodApp } from '../http/app.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { VERSION } from '../lib/version.ts';
import { openStore, type Store } from '../store/db.ts';
import { ConfigError, type DaemonConfig, isLoopbackHost } from './config.ts';
import { removeDaemonInfo, writeDaemonInfo } from './daemon-file.ts';
import { loadOrCreateOperatorToken, prepareHome } from './home.ts';
import { acquireHomeLock } from './lock.ts';
import { createLogger } from './logger.ts';
import { createServices, type Services } from './services.ts';
import { startTaskLoop, type TaskLoop } from './task-loop.ts';

export interface RunningDaemon {
  url: string;
  port: number;
  app: ZodApp;
  store: Store;
  logger: Logger;
  /** Stops accepting, lets in-flight requests finish, closes the database. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Also log to stdout (the foreground daemon does; tests do not). */
  logToStdout?: boolean;
  /** How long shutdown waits for requests in flight before cutting their connections. */
  shutdownGraceMs?: number;
}

/** Well inside the 15 s that `agh daemon stop` waits for the process to exit. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export async function startDaemon(config: DaemonConfig, options: StartOptions = {}): Promise<RunningDaemon> {
  const clock = options.clock ?? systemClock;
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  if (!isLoopbackHost(config.host) && !config.allowRemote) {
    throw new ConfigError(
      `refusing to listen on ${config.host}: only loopback addresses are allowed unless AGH_HTTP_ALLOW_REMOTE=true ` +
        '(or [http] allow_remote = true in config.toml) says otherwise',
    );
  }
  await prepareHome(config.home);
  const lock = await acquireHomeLock(config.home);
  const logger = createLogger({
    home: config.home,
    level: config.logLevel,
    stdout: options.logToStdout ?? false,
  });
  let store: Store | undefined;
  let app: ZodApp;
  let services: Services;
  let taskLoop: TaskLoop | undefined;
  let apiUrl = '';
  try {
    const { token, source } = await loadOrCreateOperatorToken(config.home, config.operatorToken);
    logger.info({ source }, 'operator token ready');
    store = await openStore({ location: config.database });
    services = await createServices({
      store,
      clock,
      home: config.home,
      logger,
      file: config.file,
      apiUrl: () => apiUrl,
    });
    await services.sessions.recover();
    taskLoop = await startTaskLoop({
      scheduler: services.scheduler,
      dispatcher: services.dispatcher,
      sessions: services.sessions,
      logger,
      intervalMs: services.settings.scheduler.sweepIntervalMs,
    });
    app = await buildApp({ services, operatorToken: token, dialect: store.dialect, clock, logger });
    await listen(app, config);
  } catch (err) {
    await taskLoop?.stop();
    await store?.close();
    await lock.release();
    logger.flush();
    throw err;
  }
  const openedStore = store;

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${formatHost(config.host)}:${port}`;
  apiUrl = url;
  const openedServices = services;
  // The spawn reaper: children past their TTL or left by their parent are stopped.
  const reaperMs = openedServices.settings.sessions.reaperIntervalMs;
  const reaper = setInterval(() => {
    openedServices.spawn.reap().catch((err: unknown) => logger.error({ err }, 'spawn reaper pass failed'));
  }, reaperMs);
  reaper.unref();
  await writeDaemonInfo(config.home, {
    pid: process.pid,
    url,
    host: config.host,
    port,
    started_at: clock.now().toISOString(),
    version: VERSION,
    database: openedStore.dialect,
  });
  // Logged only now, once daemon.json tells the CLI where to find the daemon.
  logger.info({ url, database: openedStore.dialect, home: config.home }, `agh daemon listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down');
      clearInterval(reaper);
      await taskLoop?.stop();
      // A client that never finishes its request (or never reads its answer) must not hold the
      // shutdown up forever: after the grace period its connection is cut.
      const grace = setTimeout(() => {
        logger.warn(
          { grace_ms: graceMs },
          'requests still in flight after the grace period; closing their connections',
        );
        app.server.closeAllConnections();
      }, graceMs);
      try {
        // Agents first: they may be calling the API while they wind down.
        await openedServices.sessions.shutdown();
        await app.close();
      } finally {
        clearTimeout(grace);
      }
      await openedStore.close();
      await removeDaemonInfo(config.home, process.pid);
      await lock.release();
      logger.info('stopped');
      logger.flush();
    })();
    return closing;
  };
  return { url, port, app, store: openedStore, logger, close };
}

async function listen(app: ZodApp, config: DaemonConfig): Promise<void> {
  try {
    // Fastify logs each bound address; the daemon's own line below is the one that names the URL.
    await app.listen({ host: config.host, port: config.port, listenTextResolver: () => 'http server bound' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why = {
        EADDRINUSE: 'the port is already in use',
        EACCES: 'permission denied',
        EADDRNOTAVAIL: 'no such local address',
      }[code];
      throw new ConfigError(
        `cannot listen on ${formatHost(config.host)}:${config.port}: ${why}; set AGH_HTTP_PORT to another port (0 picks a free one) or AGH_HTTP_HOST to a local address`,
      );
    }
    throw err;
  }
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
