// The setting of the `agh session …` suites (test/cli/session*-cli.test.ts, split so that they run
// side by side): a real foreground daemon with a registered workspace "proj" whose agent "echo" is
// the fake ACP agent (a real process speaking the real protocol).
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { putFakeAcpAgent } from './agents.ts';
import { Api } from './api.ts';
import { cliFor, type Running } from './cli.ts';
import {
  DEFAULT_TIMEOUT_MS,
  type ForegroundDaemon,
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
  withDeadline,
} from './daemon-process.ts';

export interface Session {
  id: string;
  name?: string;
  agent_name: string;
  state: string;
  badge: string;
  workspace_id: string;
  workspace_path: string;
  stop_reason?: string;
  stop_detail?: string;
}

export interface Turn {
  id: string;
  session_id: string;
  state: string;
  stop_reason?: string;
  text?: string;
  error?: string;
}

export interface SessionEvent {
  session_id: string;
  seq: number;
  type: string;
  data: Record<string, any>;
  created_at: string;
}

/** Call inside a describe: starts the daemon before its tests and ends everything after them. */
export function sessionCliSuite() {
  const s = {
    home: '',
    daemon: undefined as unknown as ForegroundDaemon,
    api: undefined as unknown as Api,
    root: '',
    workspaceId: '',
  };
  const cli = cliFor(() => s.home);

  before(async () => {
    s.home = tempHome();
    s.daemon = await startForegroundDaemon(s.home);
    s.api = new Api(s.daemon.url, readFileSync(join(s.home, 'operator.token'), 'utf8').trim());
    s.root = realpathSync(tempDir());
    putFakeAcpAgent(s.root, 'echo');
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

  /** A new active session of the echo agent in "proj". */
  async function newSession(name?: string): Promise<Session> {
    const args = [
      'session',
      'new',
      '--workspace',
      'proj',
      '--agent',
      'echo',
      ...(name ? ['--name', name] : []),
    ];
    const { session } = await cli.aghJson<{ session: Session }>(args);
    assert.equal(session.state, 'active');
    return session;
  }

  /** The stored events of a session, through the CLI. */
  async function events(id: string, extra: string[] = []): Promise<SessionEvent[]> {
    const res = await cli.agh(['session', 'events', id, '--no-follow', ...extra, '-o', 'json']);
    assert.equal(res.code, 0, cli.explain(['session', 'events', id], res));
    return res.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SessionEvent);
  }

  const finish = (r: Running, what: string) =>
    withDeadline(
      r.exited,
      DEFAULT_TIMEOUT_MS,
      () => `${what} did not exit\nstdout:\n${r.stdout()}\nstderr:\n${r.stderr()}`,
    );

  return Object.assign(s, cli, { newSession, events, finish });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
