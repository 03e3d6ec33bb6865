// Every default of the daemon, and config.toml laid over them, resolved once into one object. The
// composition root hands each service its section, so no service keeps defaults of its own and the
// README's configuration table has one place to agree with.
import type { FileConfig } from './config-file.ts';

/** The agent every installation has, used when neither the request nor config.toml names one. */
export const BUILT_IN_AGENT = 'general';

export interface SpawnBudget {
  max_children: number;
  max_depth: number;
  ttl_seconds: number;
  max_active_per_workspace?: number;
}

export interface SessionSettings {
  defaultAgent: string;
  startTimeoutMs: number;
  stopGraceMs: number;
  /** How often the spawn reaper stops children past their TTL or left by their parent. */
  reaperIntervalMs: number;
  /** What a session started by the operator may spawn. */
  rootBudget: SpawnBudget;
}

export interface SchedulerSettings {
  /** How often the lease sweep and the starvation ladder run (and once at boot). */
  sweepIntervalMs: number;
  /** A queued run starts to count as starved after this long. */
  starvationAfterMs: number;
  /** Sweep cycles a starved run may wait before it needs attention. */
  starvationCycles: number;
}

export interface DispatcherSettings {
  enabled: boolean;
  /** Sessions the dispatcher may run at once, over all workspaces. */
  maxSessions: number;
  maxSessionsPerWorkspace: number;
  /** A dispatcher session with nothing to do for this long is stopped. */
  idleStopMs: number;
  leaseSeconds: number;
  /** After a session of (workspace, agent) fails to start, wait this long before trying again. */
  retryAfterMs: number;
}

export interface Settings {
  sessions: SessionSettings;
  scheduler: SchedulerSettings;
  dispatcher: DispatcherSettings;
}

export const DEFAULT_SPAWN_BUDGET: SpawnBudget = {
  max_children: 5,
  max_depth: 1,
  ttl_seconds: 0,
  max_active_per_workspace: 0,
};

export const DEFAULT_SETTINGS: Settings = {
  sessions: {
    defaultAgent: BUILT_IN_AGENT,
    startTimeoutMs: 120_000,
    stopGraceMs: 5_000,
    reaperIntervalMs: 5_000,
    rootBudget: DEFAULT_SPAWN_BUDGET,
  },
  scheduler: {
    sweepIntervalMs: 15_000,
    starvationAfterMs: 120_000,
    starvationCycles: 10,
  },
  dispatcher: {
    enabled: true,
    maxSessions: 4,
    maxSessionsPerWorkspace: 2,
    idleStopMs: 300_000,
    leaseSeconds: 300,
    retryAfterMs: 60_000,
  },
};

export function resolveSettings(file: FileConfig = {}): Settings {
  const d = DEFAULT_SETTINGS;
  const s = file.sessions ?? {};
  const t = file.tasks ?? {};
  const x = file.dispatcher ?? {};
  const ms = (seconds: number | undefined, fallback: number) =>
    seconds === undefined ? fallback : seconds * 1000;
  return {
    sessions: {
      defaultAgent: file.defaults?.agent ?? d.sessions.defaultAgent,
      startTimeoutMs: ms(s.start_timeout_seconds, d.sessions.startTimeoutMs),
      stopGraceMs: ms(s.stop_grace_seconds, d.sessions.stopGraceMs),
      reaperIntervalMs: ms(s.reaper_interval_seconds, d.sessions.reaperIntervalMs),
      rootBudget: {
        max_children: s.spawn_max_children ?? DEFAULT_SPAWN_BUDGET.max_children,
        max_depth: s.spawn_max_depth ?? DEFAULT_SPAWN_BUDGET.max_depth,
        ttl_seconds: 0,
        max_active_per_workspace:
          s.spawn_max_active_per_workspace ?? DEFAULT_SPAWN_BUDGET.max_active_per_workspace ?? 0,
      },
    },
    scheduler: {
      sweepIntervalMs: ms(t.sweep_interval_seconds, d.scheduler.sweepIntervalMs),
      starvationAfterMs: ms(t.starvation_after_seconds, d.scheduler.starvationAfterMs),
      starvationCycles: t.starvation_cycles ?? d.scheduler.starvationCycles,
    },
    dispatcher: {
      enabled: x.enabled ?? d.dispatcher.enabled,
      maxSessions: x.max_sessions ?? d.dispatcher.maxSessions,
      maxSessionsPerWorkspace: x.max_sessions_per_workspace ?? d.dispatcher.maxSessionsPerWorkspace,
      idleStopMs: ms(x.idle_stop_seconds, d.dispatcher.idleStopMs),
      leaseSeconds: x.lease_seconds ?? d.dispatcher.leaseSeconds,
      retryAfterMs: d.dispatcher.retryAfterMs,
    },
  };
}
