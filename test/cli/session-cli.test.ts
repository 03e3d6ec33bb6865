// `agh session …` end to end: new, list, show and the errors; the real CLI against a real foreground
// daemon, each in its own process, with sessions that run the fake ACP agent (the setting:
// test/helpers/session-cli.ts). Prompts and events are in session-turns-cli.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { putFakeAcpAgent } from '../helpers/agents.ts';
import { closedPort, runAgh, tempDir, tempHome } from '../helpers/daemon-process.ts';
import { escapeRegExp, type Session, sessionCliSuite } from '../helpers/session-cli.ts';

describe('agh session (CLI against a real daemon)', () => {
  const suite = sessionCliSuite();
  const { agh, explain, aghJson, newSession } = suite;

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
    assert.equal(session.workspace_id, suite.workspaceId);
    assert.equal(session.workspace_path, suite.root);
    const daemonView = await suite.api.get(`/api/sessions/${session.id}`, { record: false });
    assert.equal(daemonView.body.session.state, 'active', 'the daemon runs it');
  });

  test('new without -o prints what it started; in a directory inside a workspace it runs there', async () => {
    mkdirSync(join(suite.root, 'src', 'deep'), { recursive: true });
    const res = await agh(['session', 'new', '--agent', 'echo'], { cwd: join(suite.root, 'src', 'deep') });
    assert.equal(res.code, 0, explain(['session', 'new'], res));
    const id = /^started session (sess-[0-9a-f]{16}) \(agent echo\)$/m.exec(res.stdout)?.[1];
    assert.ok(id, res.stdout);
    assert.match(res.stdout, /^state\s+active$/m);
    assert.match(
      res.stdout,
      new RegExp(`^workspace\\s+${escapeRegExp(suite.root)} \\(${suite.workspaceId}\\)$`, 'm'),
    );
    const list = await aghJson<{ workspaces: { id: string }[] }>(['workspace', 'list']);
    assert.deepEqual(
      list.workspaces.map((w) => w.id),
      [suite.workspaceId],
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
    assert.ok(inProj.sessions.every((s) => s.workspace_id === suite.workspaceId));
    const byPath = await aghJson<{ sessions: Session[] }>(['session', 'list', '--workspace', suite.root]);
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
    putFakeAcpAgent(suite.root, 'quitter', ['--mode=exit-at-once']);
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
      [['session', 'new', '--workspace', 'proj', '--cwd', suite.root], /either --workspace or --cwd/],
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
