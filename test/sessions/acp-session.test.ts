import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, putFakeAcpAgent, readRecord } from '../helpers/agents.ts';
import { scratchDir, startTestApp, TEST_TOKEN, type TestApp } from '../helpers/app.ts';
import { isAlive } from '../helpers/daemon-process.ts';

interface SseEvent {
  seq: number;
  type: string;
  data: Record<string, any>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)) as SseEvent);
}

describe('ACP sessions with the fake ACP agent', () => {
  let t: TestApp;
  let root: string;
  let workspaceId: string;
  before(async () => {
    // The default handshake budget (two minutes): a fake agent that starts slowly on a busy machine
    // is no failure.
    t = await startTestApp({ config: { sessions: { stop_grace_seconds: 1 } } });
    root = realpathSync(scratchDir());
    const res = await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'acp' } });
    workspaceId = res.body.workspace.id;
  });
  after(async () => t.close());

  async function newSession(agent: string, extra: Record<string, unknown> = {}) {
    return t.api.post('/api/sessions', { body: { agent_name: agent, workspace: workspaceId, ...extra } });
  }

  test('a session starts, takes prompts, records its events, shows in its workspace and stops', async () => {
    const record = putFakeAcpAgent(root, 'coder', [], { prompt: 'You write careful code.' });
    const created = await newSession('coder', { name: 'first' });
    assert.equal(created.status, 201, created.text);
    const session = created.body.session;
    assert.match(session.id, /^sess-[0-9a-f]{16}$/);
    assert.equal(session.state, 'active');
    assert.equal(session.type, 'user');
    assert.equal(session.name, 'first');
    assert.equal(session.workspace_id, workspaceId);
    assert.equal(session.attachable, true);
    assert.equal(session.badge, 'idle');
    assert.equal(session.health.eligible_for_wake, true);
    assert.equal(session.lineage.root_session_id, session.id);
    assert.deepEqual(session.lineage.permission_policy.workspace_paths, [root]);

    const started = readRecord(record).find((e) => e.event === 'started');
    assert.deepEqual(started?.env, {
      AGH_SESSION_ID: session.id,
      AGH_AGENT: 'coder',
      AGH_WORKSPACE_ID: workspaceId,
      AGH_API_URL: t.url,
      has_token: true,
      leaked_operator_token: false,
    });
    assert.equal(started?.cwd, root);
    assert.equal(readRecord(record).find((e) => e.event === 'session_new')?.cwd, root);

    const turn = await t.api.post(`/api/sessions/${session.id}/prompt`, {
      body: { text: 'hello there', wait: true },
    });
    assert.equal(turn.status, 200, turn.text);
    assert.equal(turn.body.turn.state, 'completed');
    assert.equal(turn.body.turn.stop_reason, 'end_turn');
    assert.equal(turn.body.turn.text, 'echo: hello there');
    const second = await t.api.post(`/api/sessions/${session.id}/prompt`, {
      body: { text: 'again', wait: true },
    });
    assert.equal(second.body.turn.text, 'echo: again');
    // The agent's instructions travel with the first turn only.
    const prompts = readRecord(record)
      .filter((e) => e.event === 'prompt')
      .map((e) => e.text as string);
    assert.equal(prompts.length, 2);
    assert.match(prompts[0] ?? '', /^You write careful code\.\n\n---\n\nhello there$/);
    assert.equal(prompts[1], 'again');

    const detail = await t.api.get(`/api/workspaces/${workspaceId}`);
    assert.deepEqual(
      detail.body.sessions.map((s: { id: string }) => s.id),
      [session.id],
    );
    const refused = await t.api.delete(`/api/workspaces/${workspaceId}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.diagnostic.code, 'workspace_has_live_sessions');

    const pid = readRecord(record).find((e) => e.event === 'started')?.pid as number;
    const stopped = await t.api.post(`/api/sessions/${session.id}/stop`, {
      body: { detail: 'done for today' },
    });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.session.state, 'stopped');
    assert.equal(stopped.body.session.stop_reason, 'user_canceled');
    assert.equal(stopped.body.session.stop_detail, 'done for today');
    assert.equal(stopped.body.session.badge, 'stopped');
    assert.equal(isAlive(pid), false);
    // Stopping again is harmless.
    assert.equal((await t.api.post(`/api/sessions/${session.id}/stop`)).status, 200);

    const events = await t.api.get(`/api/sessions/${session.id}/events?follow=false`);
    assert.equal(events.status, 200);
    const list = parseSse(events.text);
    assert.deepEqual(
      list.map((e) => e.seq),
      list.map((_, i) => i + 1),
    );
    const summary = list.map((e) => (e.type === 'state' ? `state:${e.data.state}` : e.type));
    assert.deepEqual(summary, [
      'state:starting',
      'state:active',
      'turn_started',
      'agent_message',
      'turn_completed',
      'turn_started',
      'agent_message',
      'turn_completed',
      'state:stopping',
      'state:stopped',
    ]);
    assert.equal(list[3]?.data.text, 'echo: hello there');
    // Replay resumes after a given sequence number, as after a reconnect.
    const tail = parseSse((await t.api.get(`/api/sessions/${session.id}/events?after=8`)).text);
    assert.deepEqual(
      tail.map((e) => e.seq),
      [9, 10],
    );
    assert.equal((await t.api.delete(`/api/workspaces/${workspaceId}`)).status !== 409, true);
    // Re-register for the other tests (the delete above succeeded).
    const again = await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'acp' } });
    workspaceId = again.body.workspace.id;
  });

  test('the session token is in the agent environment only, and dies with the session', async () => {
    putFakeAcpAgent(root, 'tokened');
    const created = await newSession('tokened');
    const id = created.body.session.id;
    const row = await t.store.db
      .selectFrom('sessions')
      .select('token_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    assert.match(row?.token_hash ?? '', /^[0-9a-f]{64}$/);
    assert.doesNotMatch(created.text, /agh_sess_/);
    await t.api.post(`/api/sessions/${id}/stop`);
    const after = await t.store.db
      .selectFrom('sessions')
      .select('token_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    assert.equal(after?.token_hash, null);
    assert.doesNotMatch(
      readFileSync(join(t.home, 'sessions', id, 'stderr.log'), 'utf8'),
      new RegExp(TEST_TOKEN),
    );
  });

  test('files: the agent reads and writes inside its workspace only, and follows no link', async () => {
    putFakeAcpAgent(root, 'filer');
    const id = (await newSession('filer')).body.session.id;
    const say = async (text: string) =>
      (await t.api.post(`/api/sessions/${id}/prompt`, { body: { text, wait: true } })).body.turn
        .text as string;
    assert.equal(await say(`write ${join(root, 'notes/out.txt')} hello file`), 'written');
    assert.equal(readFileSync(join(root, 'notes/out.txt'), 'utf8'), 'hello file');
    assert.equal(await say(`read ${join(root, 'notes/out.txt')}`), 'read: hello file');
    const outside = scratchDir();
    assert.match(await say(`read ${join(outside, 'x.txt')}`), /outside the session's workspace/);
    assert.match(await say(`write ${join(root, '../escape.txt')} no`), /outside the session's workspace/);
    const { symlinkSync } = await import('node:fs');
    symlinkSync(outside, join(root, 'link-out'));
    assert.match(await say(`write ${join(root, 'link-out/evil.txt')} no`), /symbolic link/);
    assert.equal(existsSync(join(outside, 'evil.txt')), false);
    await t.api.post(`/api/sessions/${id}/stop`);
  });

  test('permission requests are answered from the agent permission mode', async () => {
    putFakeAcpAgent(root, 'reader', [], { permissions: 'read_only' });
    putFakeAcpAgent(root, 'trusted');
    const reader = (await newSession('reader')).body.session.id;
    const trusted = (await newSession('trusted')).body.session.id;
    const ask = async (id: string, kind: string) =>
      (await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: `permission ${kind}`, wait: true } }))
        .body.turn.text as string;
    assert.equal(await ask(reader, 'read'), 'permission: yes');
    assert.equal(await ask(reader, 'execute'), 'permission: no');
    assert.equal(await ask(trusted, 'execute'), 'permission: yes');
    const events = parseSse((await t.api.get(`/api/sessions/${reader}/events?follow=false`)).text);
    const decisions = events.filter((e) => e.type === 'permission').map((e) => e.data.decision);
    assert.deepEqual(decisions, ['allowed', 'rejected']);
    await t.api.post(`/api/sessions/${reader}/stop`);
    await t.api.post(`/api/sessions/${trusted}/stop`);
  });

  test('a turn in progress makes the session busy; stopping cancels it', async () => {
    putFakeAcpAgent(root, 'slow');
    const id = (await newSession('slow')).body.session.id;
    const running = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'hang' } });
    assert.equal(running.status, 202);
    assert.equal(running.body.turn.state, 'running');
    const shown = await t.api.get(`/api/sessions/${id}`);
    assert.equal(shown.body.session.health.state, 'prompting');
    assert.equal(shown.body.session.badge, 'running');
    assert.equal(shown.body.session.activity.turn_id, running.body.turn.id);
    const busy = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'more' } });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.diagnostic.code, 'session_busy');
    const stopped = await t.api.post(`/api/sessions/${id}/stop`);
    assert.equal(stopped.body.session.state, 'stopped');
    const late = await t.api.post(`/api/sessions/${id}/prompt`, { body: { text: 'too late' } });
    assert.equal(late.status, 409);
    assert.equal(late.body.diagnostic.code, 'session_not_active');
  });

  test('an agent that ignores SIGTERM is killed after the grace period, with its children', async () => {
    const record = putFakeAcpAgent(root, 'stubborn', ['--ignore-term', '--child']);
    const id = (await newSession('stubborn')).body.session.id;
    const entries = readRecord(record);
    const pid = entries.find((e) => e.event === 'started')?.pid as number;
    const child = entries.find((e) => e.event === 'child')?.child_pid as number;
    assert.equal(isAlive(pid) && isAlive(child), true);
    const stopped = await t.api.post(`/api/sessions/${id}/stop`);
    assert.equal(stopped.body.session.state, 'stopped');
    // The stop ends once the group has its SIGKILL; a busy machine may run the agent a moment more
    // before the kernel ends it.
    await eventually(() => !isAlive(pid) && !isAlive(child), 'the agent and its child process to end');
  });
});
