// The setting of the `agh task …` and `agh scheduler …` suites (test/cli/task*-cli.test.ts, split so
// that they run side by side): a real foreground daemon with the dispatcher off, so queued runs wait
// for the sessions the tests start themselves (the fake process agent, a real process that stays up).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { eventually, FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from './agents.ts';
import { cliFor } from './cli.ts';
import {
  type ForegroundDaemon,
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from './daemon-process.ts';

export interface Task {
  id: string;
  title: string;
  status: string;
  scope: string;
  workspace_id?: string;
  priority?: string;
  owner?: { kind: string; ref: string } | null;
  max_attempts?: number;
  metadata?: unknown;
  paused?: boolean;
  paused_reason?: string;
  parent_task_id?: string;
  draft?: boolean;
}

export interface Run {
  id: string;
  task_id: string;
  status: string;
  attempt: number;
  result?: unknown;
  error?: string;
}

/**
 * Call inside a describe: starts the daemon before its tests and ends everything after them. The
 * daemon has a registered workspace "proj" with the fake process agent "worker".
 */
export function taskCliSuite() {
  const s = {
    home: '',
    daemon: undefined as unknown as ForegroundDaemon,
    root: '',
    workspaceId: '',
    /** Where the worker writes what the daemon gave it (its session token among others). */
    workerReport: '',
  };
  const cli = cliFor(() => s.home);

  before(async () => {
    s.home = tempHome();
    writeFileSync(join(s.home, 'config.toml'), '[dispatcher]\nenabled = false\n');
    s.daemon = await startForegroundDaemon(s.home);
    s.root = realpathSync(tempDir());
    s.workerReport = join(s.root, '.worker-report.json');
    putAgent(s.root, 'worker', {
      provider: 'process',
      command: fixtureCommand(FAKE_PROCESS_AGENT, `--out=${s.workerReport}`),
    });
    s.workspaceId = (await cli.aghJson(['workspace', 'add', s.root, '--name', 'proj'])).workspace.id;
  });

  after(async () => {
    try {
      cli.killRunning();
      await s.daemon?.stop();
    } finally {
      killStarted();
      removeTempDirs();
    }
  });

  const create = async (args: string[], options: { cwd?: string } = {}) =>
    (await cli.aghJson<{ task: Task; run?: Run }>(['task', 'create', ...args], options)).task;

  const show = async (id: string) =>
    (await cli.aghJson<{ task: { task: Task; runs: Run[] } }>(['task', 'show', id])).task;

  /** The worker session (started once) and its own token. */
  let worker: { id: string; token: string; as: string[] } | undefined;
  async function workerSession() {
    if (worker) return worker;
    const { session } = await cli.aghJson(['session', 'new', '--workspace', 'proj', '--agent', 'worker']);
    assert.equal(session.state, 'active');
    await eventually(() => existsSync(s.workerReport), 'the worker to write its report');
    const token = JSON.parse(readFileSync(s.workerReport, 'utf8')).token as string;
    worker = {
      id: session.id as string,
      token,
      as: ['--session', session.id as string, '--agent', 'worker'],
    };
    return worker;
  }

  /** `task next` as the worker, for urgent work only (so other tests' queued runs stay put). */
  async function claim(): Promise<{ task: Task; run: Run }> {
    const w = await workerSession();
    const { claim } = await cli.aghJson(['task', 'next', ...w.as, '--priority-min', 'urgent']);
    return claim;
  }

  return Object.assign(s, cli, { create, show, workerSession, claim });
}
