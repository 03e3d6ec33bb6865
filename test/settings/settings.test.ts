// One resolved settings object: config.toml over the defaults, in the units the services use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, resolveSettings } from '../../src/settings/settings.ts';

test('with no config.toml every section is the defaults', () => {
  assert.deepEqual(resolveSettings({}), DEFAULT_SETTINGS);
  assert.equal(DEFAULT_SETTINGS.sessions.defaultAgent, 'general');
  assert.equal(DEFAULT_SETTINGS.scheduler.sweepIntervalMs, 15_000);
  assert.equal(DEFAULT_SETTINGS.dispatcher.maxSessions, 4);
});

test('config.toml values land in their section, seconds become milliseconds, and the rest stays default', () => {
  const settings = resolveSettings({
    defaults: { agent: 'coder' },
    sessions: {
      start_timeout_seconds: 30,
      stop_grace_seconds: 2,
      reaper_interval_seconds: 9,
      spawn_max_depth: 3,
    },
    tasks: { sweep_interval_seconds: 5, starvation_after_seconds: 60, starvation_cycles: 4 },
    dispatcher: { enabled: false, max_sessions: 8, idle_stop_seconds: 10, lease_seconds: 120 },
  });
  assert.deepEqual(settings.sessions, {
    defaultAgent: 'coder',
    startTimeoutMs: 30_000,
    stopGraceMs: 2_000,
    reaperIntervalMs: 9_000,
    rootBudget: { max_children: 5, max_depth: 3, ttl_seconds: 0, max_active_per_workspace: 0 },
  });
  assert.deepEqual(settings.scheduler, {
    sweepIntervalMs: 5_000,
    starvationAfterMs: 60_000,
    starvationCycles: 4,
  });
  assert.deepEqual(settings.dispatcher, {
    enabled: false,
    maxSessions: 8,
    maxSessionsPerWorkspace: 2,
    idleStopMs: 10_000,
    leaseSeconds: 120,
    retryAfterMs: 60_000,
  });
});
