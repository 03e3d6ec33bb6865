import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  eventually,
  FAKE_PROCESS_AGENT,
  fixtureCommand,
  putAgent,
  putFakeAcpAgent,
  readRecord,
} from '../helpers/agents.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';
import { isAlive } from '../helpers/daemon-process.ts';

describe('sessions whose agent misbehaves end stopped with a reason a person understands', () => {
  let t: TestApp;
  let root: string;
  let ws: string;
  before(async () => {
    // The default handshake budget (two minutes): a well-behaved agent that starts slowly on a busy
    // machine must not fail here. The one test about the budget has a daemon of its own.
    t = await startTestApp({ config: { sessions: { stop_grace_seconds: 1 } } });
    root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'faults' } })).body.workspace
      .id;
  });
  after(async () => t.close());

  async function startFails(agent: string, pattern: RegExp, kind: string, on = { t, ws }) {
    const { t, ws } = on;
    const res = await t.api.post('/api/sessions', { body: { agent_name: agent, workspace: ws } });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.diagnostic.code, 'agent_start_failed');
    assert.match(res.body.error, pattern);
    const id = res.body.diagnostic.evidence.session_id as string;
    const shown = await t.api.get(`/api/sessions/${id}`);
    assert.equal(shown.body.session.state, 'stopped');
    assert.equal(shown.body.session.badge, 'failed');
    assert.equal(shown.body.session.failure.kind, kind);
    assert.match(shown.body.session.stop_detail, pattern);
    return shown.body.session;
  }

  test('a command that does not exist', async () => {
    putAgent(root, 'typo', { command: 'no-such-agent-cli --acp' });
    await startFails('typo', /agent command not found: "no-such-agent-cli"/, 'startup_failure');
  });

  test('an agent that exits at once, with its last words', async () => {
    putFakeAcpAgent(root, 'quitter', ['--mode=exit-at-once']);
    await startFails('quitter', /exit status 3.*told to exit at once/, 'process_exit');
  });

  test('an agent that never answers initialize is given up on, and killed', async () => {
    // A 1 s budget cannot make this flaky: this agent never answers, however fast the machine.
    const quick = await startTestApp({
      config: { sessions: { start_timeout_seconds: 1, stop_grace_seconds: 1 } },
    });
    try {
      const dir = realpathSync(scratchDir());
      const quickWs = (await quick.api.post('/api/workspaces', { body: { root_dir: dir, name: 'mute' } }))
        .body.workspace.id;
      const record = putFakeAcpAgent(dir, 'mute', ['--mode=no-initialize']);
      await startFails('mute', /did not finish the ACP handshake within 1 s/, 'handshake_failure', {
        t: quick,
        ws: quickWs,
      });
      const pid = readRecord(record).find((e) => e.event === 'started')?.pid as number;
      assert.equal(isAlive(pid), false);
    } finally {
      await quick.close();
    }
  });

  test('an agent that refuses to open a session', async () => {
    putFakeAcpAgent(root, 'grumpy', ['--mode=reject-session']);
    await startFails(
      'grumpy',
      /rejected the ACP handshake: fake agent: no sessions today/,
      'handshake_failure',
    );
  });

  test('an agent that crashes in the middle of a turn', async () => {
    putFakeAcpAgent(root, 'fragile');
    const id = (await t.api.post('/api/sessions', { body: { agent_name: 'fragile', workspace: ws } })).body
      .session.id;
    const turn = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'crash', wait: true } });
    assert.equal(turn.status, 200);
    assert.equal(turn.body.turn.state, 'failed');
    assert.match(turn.body.turn.error, /exited during the turn|closed during the turn/);
    // The turn fails when the connection drops; the exit that stops the session is noticed apart.
    await eventually(
      async () =>
        (await t.api.get(`/api/sessions/${id}`, { record: false })).body.session.state === 'stopped',
      'the crashed session to stop',
    );
    const session = (await t.api.get(`/api/sessions/${id}`)).body.session;
    assert.equal(session.state, 'stopped');
    assert.equal(session.stop_reason, 'agent_crashed');
    assert.match(session.stop_detail, /exit status 5/);
    // The daemon is fine: another session starts.
    const next = await t.api.post('/api/sessions', { body: { agent_name: 'fragile', workspace: ws } });
    assert.equal(next.status, 201);
    await t.api.post(`/api/sessions/${next.body.session.id}/stop`);
  });

  test('an agent that rejects a prompt fails the turn but keeps the session', async () => {
    putFakeAcpAgent(root, 'picky');
    const id = (await t.api.post('/api/sessions', { body: { agent_name: 'picky', workspace: ws } })).body
      .session.id;
    const turn = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'refuse', wait: true } });
    assert.equal(turn.body.turn.state, 'failed');
    assert.match(turn.body.turn.error, /refused the prompt: fake agent: refusing this prompt/);
    assert.equal((await t.api.get(`/api/sessions/${id}`)).body.session.state, 'active');
    await t.api.post(`/api/sessions/${id}/stop`);
  });

  test('an agent that ignores SIGTERM and its input is killed after the grace period', async () => {
    const record = putFakeAcpAgent(root, 'stubborn', ['--ignore-term']);
    const id = (await t.api.post('/api/sessions', { body: { agent_name: 'stubborn', workspace: ws } })).body
      .session.id;
    const pid = readRecord(record).find((e) => e.event === 'started')?.pid as number;
    const began = Date.now();
    const stopped = await t.api.post(`/api/sessions/${id}/stop`);
    assert.equal(stopped.body.session.state, 'stopped');
    assert.ok(Date.now() - began >= 900, 'SIGKILL only comes after the grace period');
    // The stop ends once the group has its SIGKILL; a busy machine may run the agent a moment more.
    await eventually(() => !isAlive(pid), 'the agent to end');
  });

  test('bad requests are 4xx and start nothing', async () => {
    putAgent(root, 'bad', { extra: 'colour: blue' });
    putAgent(root, 'piped', { command: 'cat | sh' });
    putAgent(root, 'noproc', { provider: 'process' });
    const cases: Array<[Record<string, unknown>, number, string, RegExp]> = [
      [{ agent_name: 'x' }, 400, 'invalid_request', /exactly one of workspace/],
      [{ agent_name: 'x', workspace: ws, workspace_path: root }, 400, 'invalid_request', /exactly one/],
      [{ agent_name: 'x', workspace_path: 'relative/dir' }, 400, 'invalid_request', /must be absolute/],
      [{ agent_name: 'x', workspace: 'nope' }, 404, 'workspace_not_found', /nope/],
      [{ agent_name: 'ghost', workspace: ws }, 400, 'agent_not_available', /agent "ghost" is not available/],
      [
        { agent_name: 'bad', workspace: ws },
        400,
        'agent_definition_invalid',
        /AGENT\.md: unknown field "colour"/,
      ],
      [{ agent_name: 'piped', workspace: ws }, 400, 'agent_command_invalid', /"\|" .* would need a shell/],
      [{ agent_name: 'noproc', workspace: ws }, 400, 'agent_command_invalid', /must set "command"/],
      [{ agent_name: 'bad', workspace: ws, provider: 'nobody' }, 400, 'agent_definition_invalid', /colour/],
      [{ workspace: ws, model: 'm' }, 400, 'invalid_request', /model needs provider/],
      [
        { agent_name: 'general', workspace: ws, provider: 'nobody' },
        400,
        'provider_unknown',
        /provider "nobody"/,
      ],
      [{ agent_name: 'x', workspace: ws, extra: 1 }, 400, 'invalid_request', /unknown field "extra"/],
    ];
    const before = (await t.api.get('/api/sessions')).body.sessions.length;
    for (const [body, status, code, message] of cases) {
      const res = await t.api.post('/api/sessions', { body });
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.diagnostic.code, code, JSON.stringify(body));
      assert.match(res.body.error, message, JSON.stringify(body));
    }
    assert.equal((await t.api.get('/api/sessions')).body.sessions.length, before);
    assert.equal((await t.api.get('/api/sessions/sess-0000000000000000')).status, 404);
    const proc = fixtureCommand(FAKE_PROCESS_AGENT, '--mode=stay');
    putAgent(root, 'worker', { provider: 'process', command: proc });
    const worker = await t.api.post('/api/sessions', { body: { agent_name: 'worker', workspace: ws } });
    const prompt = await t.api.post(`/api/sessions/${worker.body.session.id}/prompt`, {
      body: { text: 'hi' },
    });
    assert.equal(prompt.status, 400);
    assert.equal(prompt.body.diagnostic.code, 'prompt_not_supported');
    await t.api.post(`/api/sessions/${worker.body.session.id}/stop`);
  });

  test('a session stopped while its agent starts ends with its agent, and the start is refused', async () => {
    const record = putFakeAcpAgent(root, 'slowstart', ['--mode=no-initialize']);
    const creating = t.api.post('/api/sessions', { body: { agent_name: 'slowstart', workspace: ws } });
    let id: string | undefined;
    // This agent never finishes its handshake, and the budget is two minutes: it stays starting.
    await eventually(async () => {
      const starting = await t.api.get('/api/sessions?state=starting', { record: false });
      id = starting.body.sessions.find((s: { agent_name: string }) => s.agent_name === 'slowstart')?.id;
      return id !== undefined;
    }, 'the session to show up as starting');
    assert.ok(id, 'the session showed up as starting');
    const stopped = await t.api.post(`/api/sessions/${id}/stop`);
    assert.equal(stopped.body.session.state, 'stopped');
    assert.equal(stopped.body.session.stop_reason, 'user_canceled');
    const created = await creating;
    assert.equal(created.status, 409, created.text);
    assert.equal(created.body.diagnostic.code, 'session_not_active');
    const pid = readRecord(record).find((e) => e.event === 'started')?.pid as number | undefined;
    if (pid !== undefined) assert.equal(isAlive(pid), false, 'the agent did not outlive its stopped session');
  });

  test('two prompts at once: one turn runs, the other is refused; a waited turn frees the session', async () => {
    putFakeAcpAgent(root, 'racer');
    const id = (await t.api.post('/api/sessions', { body: { agent_name: 'racer', workspace: ws } })).body
      .session.id;
    const replies = await Promise.all(
      [1, 2, 3].map((n) => t.api.post(`/api/sessions/${id}/prompt`, { body: { text: `p${n}`, wait: true } })),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 409, 409]);
    for (let i = 0; i < 10; i++) {
      const turn = await t.api.post(`/api/sessions/${id}/prompt`, {
        body: { text: `again ${i}`, wait: true },
      });
      assert.equal(turn.status, 200, `turn ${i}: ${turn.text}`);
      assert.equal(turn.body.turn.text, `echo: again ${i}`);
    }
    const nul = await t.api.post(`/api/sessions/${id}/stop`, { body: { detail: 'a\u0000b' } });
    assert.equal(nul.status, 400);
    assert.equal((await t.api.get(`/api/sessions/${id}`)).body.session.state, 'active');
    const badPrompt = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'x\u0000' } });
    assert.equal(badPrompt.status, 400);
    assert.equal((await t.api.post(`/api/sessions/${id}/stop`)).body.session.state, 'stopped');
  });

  test('a refused start writes nothing, not even the workspace of workspace_path', async () => {
    const fresh = realpathSync(scratchDir());
    const before = (await t.api.get('/api/workspaces')).body.workspaces.length;
    const res = await t.api.post('/api/sessions', {
      body: { agent_name: 'nobody-here', workspace_path: fresh },
    });
    assert.equal(res.status, 400);
    assert.equal((await t.api.get('/api/workspaces')).body.workspaces.length, before);
    const slash = await t.api.post('/api/sessions', { body: { workspace_path: '/' } });
    assert.equal(slash.status, 400);
    assert.match(slash.body.error, /filesystem root, which cannot be a workspace/);
  });
});
