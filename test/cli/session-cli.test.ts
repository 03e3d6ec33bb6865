// `agh session …` end to end: the real CLI against a real foreground daemon, each in its own process,
// with sessions that run the fake ACP agent (a real process speaking the real protocol).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, putFakeAcpAgent } from '../helpers/agents.ts';
import { Api } from '../helpers/api.ts';
import { cliFor, type Running } from '../helpers/cli.ts';
import {
  AGH_BIN,
  closedPort,
  DEFAULT_TIMEOUT_MS,
  type ForegroundDaemon,
  killStarted,
  removeTempDirs,
  runAgh,
  startForegroundDaemon,
  tempDir,
  tempHome,
  withDeadline,
} from '../helpers/daemon-process.ts';

interface Session {
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

interface Turn {
  id: string;
  session_id: string;
  state: string;
  stop_reason?: string;
  text?: string;
  error?: string;
}

interface SessionEvent {
  session_id: string;
  seq: number;
  type: string;
  data: Record<string, any>;
  created_at: string;
}

describe('agh session (CLI against a real daemon)', () => {
  let home: string;
  let daemon: ForegroundDaemon;
  let api: Api;
  /** A registered workspace "proj" with the fake ACP agent "echo". */
  let root: string;
  let workspaceId: string;

  before(async () => {
    home = tempHome();
    daemon = await startForegroundDaemon(home);
    api = new Api(daemon.url, readFileSync(join(home, 'operator.token'), 'utf8').trim());
    root = realpathSync(tempDir());
    putFakeAcpAgent(root, 'echo');
    workspaceId = (await aghJson(['workspace', 'add', root, '--name', 'proj'])).workspace.id;
  });

  after(async () => {
    try {
      killRunning();
      await daemon?.stop();
    } finally {
      killStarted();
      removeTempDirs();
    }
  });

  const { env, agh, explain, aghJson, start, killRunning } = cliFor(() => home);

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
    const { session } = await aghJson<{ session: Session }>(args);
    assert.equal(session.state, 'active');
    return session;
  }

  /** The stored events of a session, through the CLI. */
  async function events(id: string, extra: string[] = []): Promise<SessionEvent[]> {
    const res = await agh(['session', 'events', id, '--no-follow', ...extra, '-o', 'json']);
    assert.equal(res.code, 0, explain(['session', 'events', id], res));
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

  test('new --workspace <name> -o json starts an active session there', async () => {
    const { session } = await aghJson<{ session: Session }>([
      'session',
      'new',
      '--workspace',
      'proj',
      '--agent',
      'echo',
      '--name',
      'first',
    ]);
    assert.match(session.id, /^sess-[0-9a-f]{16}$/);
    assert.equal(session.state, 'active');
    assert.equal(session.name, 'first');
    assert.equal(session.agent_name, 'echo');
    assert.equal(session.workspace_id, workspaceId);
    assert.equal(session.workspace_path, root);
    const daemonView = await api.get(`/api/sessions/${session.id}`, { record: false });
    assert.equal(daemonView.body.session.state, 'active', 'the daemon runs it');
  });

  test('new without -o prints what it started; in a directory inside a workspace it runs there', async () => {
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    const res = await agh(['session', 'new', '--agent', 'echo'], { cwd: join(root, 'src', 'deep') });
    assert.equal(res.code, 0, explain(['session', 'new'], res));
    const id = /^started session (sess-[0-9a-f]{16}) \(agent echo\)$/m.exec(res.stdout)?.[1];
    assert.ok(id, res.stdout);
    assert.match(res.stdout, /^state\s+active$/m);
    assert.match(res.stdout, new RegExp(`^workspace\\s+${escapeRegExp(root)} \\(${workspaceId}\\)$`, 'm'));
    const list = await aghJson<{ workspaces: { id: string }[] }>(['workspace', 'list']);
    assert.deepEqual(
      list.workspaces.map((w) => w.id),
      [workspaceId],
      'no workspace was registered for the subdirectory',
    );
  });

  test('new --cwd <unregistered dir> registers it as a workspace and runs the session there', async () => {
    const dir = realpathSync(tempDir());
    putFakeAcpAgent(dir, 'local');
    const { session } = await aghJson<{ session: Session }>([
      'session',
      'new',
      '--cwd',
      dir,
      '--agent',
      'local',
    ]);
    assert.equal(session.state, 'active');
    assert.equal(session.workspace_path, dir);
    const { workspace } = await aghJson(['workspace', 'show', dir]);
    assert.equal(session.workspace_id, workspace.id);
  });

  test('list shows sessions in a table, -o json, and filters by --workspace and --state', async () => {
    const session = await newSession('listed');
    const table = await agh(['session', 'list']);
    assert.equal(table.code, 0, explain(['session', 'list'], table));
    for (const column of ['ID', 'NAME', 'AGENT', 'STATE', 'BADGE', 'WORKSPACE', 'CREATED', 'STOP REASON']) {
      assert.ok(table.stdout.includes(column), `${column} missing:\n${table.stdout}`);
    }
    const row = table.stdout.split('\n').find((l) => l.includes(session.id));
    assert.ok(row, table.stdout);
    assert.match(row, /listed .*echo .*active .*idle .*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    const all = await aghJson<{ sessions: Session[] }>(['session', 'list']);
    assert.equal(all.sessions.find((s) => s.id === session.id)?.name, 'listed');
    const inProj = await aghJson<{ sessions: Session[] }>(['session', 'list', '--workspace', 'proj']);
    assert.ok(inProj.sessions.length > 0);
    assert.ok(inProj.sessions.every((s) => s.workspace_id === workspaceId));
    const byPath = await aghJson<{ sessions: Session[] }>(['session', 'list', '--workspace', root]);
    assert.deepEqual(
      byPath.sessions.map((s) => s.id),
      inProj.sessions.map((s) => s.id),
    );
    const stopped = await aghJson<{ sessions: Session[] }>(['session', 'list', '--state', 'stopped']);
    assert.ok(stopped.sessions.every((s) => s.state === 'stopped'));
    assert.ok(!stopped.sessions.some((s) => s.id === session.id));
  });

  test('list on a workspace without sessions says so', async () => {
    await aghJson(['workspace', 'add', tempDir(), '--name', 'idle-ws']);
    const res = await agh(['session', 'list', '--workspace', 'idle-ws']);
    assert.equal(res.code, 0, explain(['session', 'list'], res));
    assert.equal(res.stdout, 'no sessions match\n');
  });

  test('show <id> prints the fields, and the session with -o json', async () => {
    const session = await newSession('shown');
    const res = await agh(['session', 'show', session.id]);
    assert.equal(res.code, 0, explain(['session', 'show'], res));
    assert.match(res.stdout, new RegExp(`^id\\s+${session.id}$`, 'm'));
    assert.match(res.stdout, /^name\s+shown$/m);
    assert.match(res.stdout, /^agent\s+echo$/m);
    assert.match(res.stdout, /^state\s+active$/m);
    assert.match(res.stdout, /^badge\s+idle$/m);
    assert.doesNotMatch(res.stdout, /stop reason/);
    const json = await aghJson<{ session: Session }>(['session', 'show', session.id]);
    assert.equal(json.session.id, session.id);
  });

  test('prompt streams the answer to stdout and ends with the turn', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, 'hello']);
    assert.equal(res.code, 0, explain(['session', 'prompt'], res));
    assert.equal(res.stdout, 'echo: hello\n');
    assert.equal(res.stderr, '');

    // A second turn prints only its own answer, not the first one's.
    const again = await agh(['session', 'prompt', session.id, 'hello', 'again']);
    assert.equal(again.code, 0, explain(['session', 'prompt'], again));
    assert.equal(again.stdout, 'echo: hello again\n');
  });

  test('prompt prints tool calls and permission decisions to stderr, the answer to stdout', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, 'permission', 'edit']);
    assert.equal(res.code, 0, explain(['session', 'prompt'], res));
    assert.match(res.stdout, /^permission: (yes|no)\n$/);
    assert.match(res.stderr, /^\[tool\] do edit \(edit\): pending$/m);
    assert.match(res.stderr, /^\[permission\] do edit \(edit\): (allowed|rejected) by mode \S+$/m);
  });

  test('prompt -o json prints the finished turn with its text', async () => {
    const session = await newSession();
    const { turn } = await aghJson<{ turn: Turn }>(['session', 'prompt', session.id, 'hello']);
    assert.equal(turn.session_id, session.id);
    assert.match(turn.id, /^turn-/);
    assert.equal(turn.state, 'completed');
    assert.equal(turn.stop_reason, 'end_turn');
    assert.equal(turn.text, 'echo: hello');
  });

  test('prompt --wait (and --no-stream) prints the whole answer once the turn has ended', async () => {
    const session = await newSession();
    const res = await agh(['session', 'prompt', session.id, '--wait', 'hello']);
    assert.equal(res.code, 0, explain(['session', 'prompt', '--wait'], res));
    assert.equal(res.stdout, 'echo: hello\n');
    assert.equal(res.stderr, '');
    const { turn } = await aghJson<{ turn: Turn }>([
      'session',
      'prompt',
      session.id,
      '--no-stream',
      'once',
      'more',
    ]);
    assert.equal(turn.state, 'completed');
    assert.equal(turn.text, 'echo: once more');
  });

  test('a failed turn exits 1 with its error, streaming or waiting', async () => {
    const session = await newSession();
    const streamed = await agh(['session', 'prompt', session.id, 'refuse']);
    assert.equal(streamed.code, 1, explain(['session', 'prompt', 'refuse'], streamed));
    assert.match(streamed.stderr, /^error: turn turn-\S+ failed: .*refusing this prompt/m);
    const waited = await agh(['session', 'prompt', session.id, '--wait', 'refuse', '-o', 'json']);
    assert.equal(waited.code, 1, explain(['session', 'prompt', '--wait', 'refuse'], waited));
    assert.equal(JSON.parse(waited.stdout).turn.state, 'failed');
    assert.match(waited.stderr, /refusing this prompt/);
  });

  test('events --no-follow lists the stored events, one a line; -o json and --after', async () => {
    const session = await newSession();
    assert.equal((await agh(['session', 'prompt', session.id, 'hello'])).code, 0);

    const human = await agh(['session', 'events', session.id, '--no-follow']);
    assert.equal(human.code, 0, explain(['session', 'events'], human));
    const lines = human.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.trim().split(/\s+/)[2]),
      ['state', 'state', 'turn_started', 'agent_message', 'turn_completed'],
    );
    assert.match(lines[0] ?? '', /^ {3}1 {2}\d\d:\d\d:\d\d\.\d{3} {2}state {13}starting agent echo/);
    assert.match(lines[2] ?? '', /turn_started\s+turn-\S+ from user: "hello"$/);
    assert.match(lines[3] ?? '', /agent_message\s+"echo: hello"$/);
    assert.match(lines[4] ?? '', /turn_completed\s+turn-\S+: end_turn$/);

    const json = await events(session.id);
    assert.deepEqual(
      json.map((e) => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.ok(json.every((e) => e.session_id === session.id));
    assert.deepEqual(json[3]?.data, { text: 'echo: hello' });
    const later = await events(session.id, ['--after', '3']);
    assert.deepEqual(
      later.map((e) => e.type),
      ['agent_message', 'turn_completed'],
    );
  });

  test('events follows until the session stops; stop --detail stops it, and stopping again is fine', async () => {
    const session = await newSession();
    const follower = start(['session', 'events', session.id]);
    await eventually(
      () => follower.stdout().includes('active, pid'),
      'the follower to print the active state',
    );

    const res = await agh(['session', 'stop', session.id, '--detail', 'done for today']);
    assert.equal(res.code, 0, explain(['session', 'stop'], res));
    assert.match(res.stdout, new RegExp(`^stopped session ${session.id}$`, 'm'));
    assert.match(res.stdout, /^state\s+stopped$/m);
    assert.match(res.stdout, /^stop reason\s+user_canceled$/m);
    assert.match(res.stdout, /^stop detail\s+done for today$/m);

    const status = await finish(follower, 'agh session events');
    assert.equal(status.code, 0, follower.stderr());
    const lines = follower.stdout().trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /state\s+stopped: user_canceled — done for today$/);
    assert.match(lines.at(-2) ?? '', /state\s+stopping: user_canceled$/);

    const again = await aghJson<{ session: Session }>(['session', 'stop', session.id]);
    assert.equal(again.session.state, 'stopped');
    assert.equal(again.session.stop_detail, 'done for today');
    // Following a stopped session prints its log and ends.
    const replay = await agh(['session', 'events', session.id, '--after', '1']);
    assert.equal(replay.code, 0, explain(['session', 'events'], replay));
    assert.match(replay.stdout.trimEnd().split('\n').at(-1) ?? '', /stopped: user_canceled/);
    const past = await agh(['session', 'events', session.id, '--after', '1000']);
    assert.equal(past.code, 0, explain(['session', 'events', '--after', '1000'], past));
    assert.equal(past.stdout, '');
  });

  test('Ctrl-C while a turn streams exits 130 and says how to follow the turn; the session stays busy', async () => {
    const session = await newSession();
    const prompt = start(['session', 'prompt', session.id, 'hang']);
    await eventually(() => prompt.stdout().includes('working...'), 'the agent to start its answer');
    prompt.child.kill('SIGINT');
    const status = await finish(prompt, 'agh session prompt');
    assert.equal(status.code, 130, prompt.stderr());
    assert.equal(prompt.stdout(), 'working...\n');
    assert.equal(
      prompt.stderr(),
      `the turn goes on in the daemon; follow it with: agh session events ${session.id}\n`,
    );

    const busy = await agh(['session', 'prompt', session.id, 'hello']);
    assert.equal(busy.code, 1, explain(['session', 'prompt'], busy));
    assert.match(busy.stderr, /in the middle of turn/);
    assert.equal(busy.stdout, '');

    const follower = start(['session', 'events', session.id]);
    await eventually(
      () => follower.stdout().includes('"working..."'),
      'the follower to print the answer so far',
    );
    follower.child.kill('SIGINT');
    const followed = await finish(follower, 'agh session events');
    assert.equal(followed.code, 130);
    assert.equal(follower.stderr(), '');
    assert.equal((await agh(['session', 'stop', session.id])).code, 0);
  });

  test('output piped into a reader that stops early is no error', async () => {
    const session = await newSession();
    const res = await runAgh(
      ['-c', `"${AGH_BIN}" session events ${session.id} --no-follow | true; exit \${PIPESTATUS[0]}`],
      {
        env: env(),
        command: 'bash',
      },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
  });

  test('an unknown session id exits 1 with "no session" and the list hint, for every command', async () => {
    for (const args of [
      ['show', 'sess-0000000000000000'],
      ['prompt', 'sess-0000000000000000', 'hello'],
      ['prompt', 'sess-0000000000000000', '--wait', 'hello'],
      ['stop', 'sess-0000000000000000'],
      ['events', 'sess-0000000000000000'],
    ]) {
      const res = await agh(['session', ...args]);
      assert.equal(res.code, 1, explain(['session', ...args], res));
      assert.match(res.stderr, /^error: no session sess-0000000000000000$/m);
      assert.match(res.stderr, /^try: agh session list$/m);
      assert.equal(res.stdout, '');
    }
  });

  test('an unknown agent exits 1 with the daemon message, and no session is left', async () => {
    const before = await aghJson<{ sessions: Session[] }>(['session', 'list']);
    const res = await agh(['session', 'new', '--workspace', 'proj', '--agent', 'nobody']);
    assert.equal(res.code, 1, explain(['session', 'new'], res));
    assert.match(res.stderr, /^error: agent "nobody" is not available in workspace proj/m);
    assert.match(res.stderr, /^try: agh workspace show ws_/m);
    const afterwards = await aghJson<{ sessions: Session[] }>(['session', 'list']);
    assert.equal(afterwards.sessions.length, before.sessions.length);
  });

  test('an agent that fails to start exits 1 naming the session, which shows as stopped', async () => {
    putFakeAcpAgent(root, 'quitter', ['--mode=exit-at-once']);
    const res = await agh(['session', 'new', '--workspace', 'proj', '--agent', 'quitter']);
    assert.equal(res.code, 1, explain(['session', 'new'], res));
    const id = /session (sess-[0-9a-f]{16})/.exec(res.stderr)?.[1];
    assert.ok(id, res.stderr);
    assert.match(res.stderr, /did not start/);
    assert.match(res.stderr, new RegExp(`^try: agh session show ${id}$`, 'm'));
    const { session } = await aghJson<{ session: Session }>(['session', 'show', id]);
    assert.equal(session.state, 'stopped');
    const prompt = await agh(['session', 'prompt', id, 'hello']);
    assert.equal(prompt.code, 1, explain(['session', 'prompt'], prompt));
    assert.match(prompt.stderr, /it is stopped/);
  });

  test('bad usage exits 2 before anything is sent', async () => {
    const cases: [string[], RegExp][] = [
      [['session', 'new', '--workspace', 'proj', '--cwd', root], /either --workspace or --cwd/],
      [['session', 'list', '--state', 'sleepy'], /sleepy/],
      [['session', 'events', 'sess-0000000000000000', '--after', '-1'], /whole number/],
      [['session', 'prompt', 'sess-0000000000000000'], /missing required argument 'text'/],
      [['session', 'prompt', 'sess-0000000000000000', ' '], /the prompt is empty/],
      [['session', 'show', 'sess-0000000000000000', '-o', 'yaml'], /yaml/],
    ];
    for (const [args, message] of cases) {
      const res = await agh(args);
      assert.equal(res.code, 2, explain(args, res));
      assert.match(res.stderr, message);
    }
  });

  test('no daemon listening exits 3 with "cannot reach the agh daemon"', async () => {
    const port = await closedPort();
    for (const args of [
      ['session', 'list'],
      ['session', 'events', 'sess-0000000000000000'],
      ['session', 'prompt', 'sess-0000000000000000', 'hello'],
      ['session', 'prompt', 'sess-0000000000000000', '--wait', 'hello'],
    ]) {
      const res = await runAgh(args, { env: { AGH_HOME: tempHome(), AGH_HTTP_PORT: String(port) } });
      assert.equal(res.code, 3, explain(args, res));
      assert.match(res.stderr, /cannot reach the agh daemon at \S+ \(ECONNREFUSED\)/);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
