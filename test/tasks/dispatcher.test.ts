// The dispatcher with real agent processes (the fake ACP agent speaks the real protocol): queued
// work starts a session of the task's worker agent within limits, the daemon drives the lease, and
// the run completes with the agent's answer, or fails when the agent does.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  FAKE_PROCESS_AGENT,
  eventually,
  fixtureCommand,
  putAgent,
  putFakeAcpAgent,
  readRecord,
} from '../helpers/agents.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';

describe('dispatcher: queued work gets a session, and the agent does it', () => {
  let t: TestApp;
  let root: string;
  let ws: string;
  let record: string;
  before(async () => {
    t = await startTestApp({
      config: {
        sessions: { stop_grace_seconds: 1 },
        dispatcher: { enabled: true, max_sessions: 3, max_sessions_per_workspace: 1, idle_stop_seconds: 60 },
      },
    });
    root = realpathSync(scratchDir());
    record = putFakeAcpAgent(root, 'coder');
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'factory' } })).body.workspace
      .id;
  });
  after(() => t.close());

  const startTask = async (body: Record<string, unknown>) => {
    const created = await t.api.post('/api/tasks', {
      body: {
        scope: 'workspace',
        workspace: ws,
        title: 'job',
        owner: { kind: 'pool', ref: 'coder' },
        ...body,
      },
    });
    assert.equal(created.status, 201, created.text);
    const started = await t.api.post(`/api/tasks/${created.body.task.id}/start`, { body: {} });
    assert.equal(started.status, 201, started.text);
    return created.body.task.id as string;
  };
  const dispatcherSessions = async () =>
    (await t.api.get(`/api/sessions?workspace=${ws}`)).body.sessions.filter(
      (s: any) => s.type === 'system' && s.state !== 'stopped',
    );

  test('a task for a worker agent: a session starts, the agent is prompted, the run completes with its answer', async () => {
    const id = await startTask({
      title: 'Say hello',
      description: 'hello from the queue',
      metadata: { ticket: 7 },
    });
    await t.services.dispatcher.settle();
    const detail = (await t.api.get(`/api/tasks/${id}`)).body.task;
    assert.equal(detail.task.status, 'completed', JSON.stringify(detail.runs));
    assert.equal(detail.runs[0].result, 'echo: hello from the queue');
    const types = (await t.api.get(`/api/tasks/${id}/timeline`)).body.timeline.map((e: any) => e.event_type);
    assert.deepEqual(types, [
      'task.created',
      'task.run_enqueued',
      'task.run_claimed',
      'task.run_started',
      'task.run_completed',
    ]);
    const [session] = await dispatcherSessions();
    assert.equal(session.agent_name, 'coder');
    assert.equal(detail.runs[0].session_id, session.id);
    const prompt = readRecord(record).find((e) => e.event === 'prompt');
    assert.match(prompt!.text, /Say hello/);
    assert.match(prompt!.text, /"ticket":7/);
  });

  test('the same idle session takes the next runs; one session per workspace is the limit', async () => {
    const before = (await dispatcherSessions()).map((s: any) => s.id);
    const ids = [
      await startTask({ description: 'one' }),
      await startTask({ description: 'two' }),
      await startTask({ description: 'three' }),
    ];
    await t.services.dispatcher.settle();
    for (const id of ids)
      assert.equal((await t.api.get(`/api/tasks/${id}`)).body.task.task.status, 'completed');
    const sessions = new Set(
      await Promise.all(
        ids.map(async (id) => (await t.api.get(`/api/tasks/${id}`)).body.task.runs[0].session_id),
      ),
    );
    assert.deepEqual([...sessions], before, 'all three ran in the one live session');
  });

  test('an agent that crashes fails the run; the next run gets a fresh session', async () => {
    const crashed = await startTask({ description: 'crash' });
    await t.services.dispatcher.settle();
    const failed = (await t.api.get(`/api/tasks/${crashed}`)).body.task;
    assert.equal(failed.runs[0].status, 'failed');
    assert.match(failed.runs[0].error, /agent/);
    assert.equal(failed.task.status, 'ready', 'attempts remain; nothing retries on its own');
    const next = await startTask({ description: 'after the crash' });
    await t.services.dispatcher.settle();
    assert.equal((await t.api.get(`/api/tasks/${next}`)).body.task.task.status, 'completed');
  });

  test('canceling a task while its agent works cancels the run and stops the session', async () => {
    const id = await startTask({ description: 'hang' });
    await eventually(
      async () =>
        (await t.api.get(`/api/tasks/${id}`, { record: false })).body.task.task.status === 'in_progress',
      'the agent to be working on the run',
    );
    const canceled = await t.api.post(`/api/tasks/${id}/cancel`, { body: { reason: 'not needed' } });
    assert.equal(canceled.status, 200, canceled.text);
    await t.services.dispatcher.settle();
    const detail = (await t.api.get(`/api/tasks/${id}`)).body.task;
    assert.equal(detail.task.status, 'canceled');
    assert.equal(detail.runs[0].status, 'canceled');
    const session = (await t.api.get(`/api/sessions/${detail.runs[0].session_id}`)).body.session;
    assert.equal(session.state, 'stopped');
  });

  test('a missing worker agent is reported on the task, and the run waits', async () => {
    const id = await startTask({ owner: { kind: 'pool', ref: 'ghost' }, description: 'boo' });
    await t.services.dispatcher.settle();
    const timeline = (await t.api.get(`/api/tasks/${id}/timeline`)).body.timeline;
    const failure = timeline.find((e: any) => e.event_type === 'task.dispatch_failed');
    assert.ok(failure, JSON.stringify(timeline.map((e: any) => e.event_type)));
    assert.equal(failure.payload.agent, 'ghost');
    assert.match(failure.payload.error, /ghost/);
    assert.equal((await t.api.get(`/api/tasks/${id}`)).body.task.runs[0].status, 'queued');
    await t.api.post(`/api/tasks/${id}/cancel`, { body: {} });
  });

  test('an agent whose session ends before it takes any work is a failed start: reported once, retried later', async () => {
    putAgent(root, 'quitter', {
      provider: 'process',
      command: fixtureCommand(FAKE_PROCESS_AGENT, '--mode=exit:3'),
    });
    const id = await startTask({ owner: { kind: 'pool', ref: 'quitter' }, description: 'never done' });
    await t.services.dispatcher.settle();
    await eventually(async () => {
      const sessions = (await t.api.get(`/api/sessions?workspace=${ws}`, { record: false })).body.sessions;
      return sessions.some((s: any) => s.agent_name === 'quitter' && s.state === 'stopped');
    }, 'the quitter session to end');
    for (let i = 0; i < 3; i++) await t.services.dispatcher.tick();
    const sessions = (await t.api.get(`/api/sessions?workspace=${ws}`)).body.sessions.filter(
      (s: any) => s.agent_name === 'quitter',
    );
    assert.equal(sessions.length, 1, 'no restart loop');
    const failures = (await t.api.get(`/api/tasks/${id}/timeline`)).body.timeline.filter(
      (e: any) => e.event_type === 'task.dispatch_failed',
    );
    assert.equal(failures.length, 1);
    assert.match(failures[0].payload.error, /ended before it took any work/);
    await t.api.post(`/api/tasks/${id}/cancel`, { body: {} });
  });

  test('idle dispatcher sessions stop after idle_stop_seconds', async () => {
    await startTask({ description: 'a last job' });
    await t.services.dispatcher.settle();
    assert.equal((await dispatcherSessions()).length, 1);
    t.clock.advance(59_000);
    await t.services.dispatcher.tick();
    assert.equal((await dispatcherSessions()).length, 1, 'not idle long enough yet');
    t.clock.advance(2_000);
    await t.services.dispatcher.tick();
    assert.deepEqual(await dispatcherSessions(), []);
  });

  test('a process agent started for queued work drives its own lease through the agent API', async () => {
    putAgent(root, 'scripted', {
      provider: 'process',
      command: fixtureCommand(FAKE_PROCESS_AGENT, '--mode=work'),
    });
    const id = await startTask({ owner: { kind: 'pool', ref: 'scripted' }, title: 'scripted work' });
    await t.services.dispatcher.settle();
    await eventually(
      async () =>
        (await t.api.get(`/api/tasks/${id}`, { record: false })).body.task.task.status === 'completed',
      'the process agent to complete the run',
    );
    const run = (await t.api.get(`/api/tasks/${id}`)).body.task.runs[0];
    assert.equal(run.result.title, 'scripted work');
    const session = (await t.api.get(`/api/sessions/${run.session_id}`)).body.session;
    assert.equal(session.agent_name, 'scripted');
    assert.equal(session.type, 'system');
    // A second task goes to the same worker: it is idle and polling, so no new session starts.
    const next = await startTask({ owner: { kind: 'pool', ref: 'scripted' }, title: 'more scripted work' });
    await t.services.dispatcher.settle();
    await eventually(
      async () =>
        (await t.api.get(`/api/tasks/${next}`, { record: false })).body.task.task.status === 'completed',
      'the second run',
    );
    assert.equal((await t.api.get(`/api/tasks/${next}`)).body.task.runs[0].session_id, run.session_id);
    await t.api.post(`/api/sessions/${run.session_id}/stop`, { body: {} });
  });

  test('the manual path: claim then start gives the run a session of its own, driven to completion', async () => {
    const created = await t.api.post('/api/tasks', {
      body: {
        scope: 'workspace',
        workspace: ws,
        title: 'by hand',
        description: 'manual work',
        owner: { kind: 'human', ref: 'me' },
      },
    });
    await t.api.patch(`/api/workspaces/${ws}`, {
      body: { name: null, add_dirs: null, default_agent: 'coder', sandbox_ref: null },
    });
    const run = (await t.api.post(`/api/tasks/${created.body.task.id}/start`, { body: {} })).body.run;
    assert.equal((await t.api.post(`/api/task-runs/${run.id}/claim`, { body: {} })).status, 200);
    const started = await t.api.post(`/api/task-runs/${run.id}/start`, { body: {} });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.run.status, 'running');
    assert.ok(started.body.run.session_id);
    await t.services.dispatcher.settle();
    const done = (await t.api.get(`/api/task-runs/${run.id}`)).body.run;
    assert.equal(done.run.status, 'completed');
    assert.equal(done.run.result, 'echo: manual work');
  });
});
