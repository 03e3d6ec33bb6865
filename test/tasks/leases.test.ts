// Leases over HTTP: claim-next eligibility and order, heartbeat, complete, fail, release, expiry by an
// injected clock, and every stale-holder path refused (tasks.md §3.3, §3.4, §3.6, Hard parts 4-7), on
// SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import { eventually } from '../helpers/agents.ts';
import { scratchDir, TEST_TOKEN, type TestApp } from '../helpers/app.ts';
import { forEachDialect, startTestAppOn } from '../helpers/dialects.ts';
import {
  type AgentSession,
  insertActiveSession,
  longPollWaiting,
  startProcessSession,
} from '../helpers/tasks.ts';

forEachDialect('leases: claim-next, heartbeat, complete, fail, release, expiry', (ctx) => {
  let t: TestApp;
  let ws: string;
  let otherWs: string;
  let root: string;
  before(async () => {
    t = await startTestAppOn(ctx);
    root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'leasing' } })).body.workspace
      .id;
    otherWs = (
      await t.api.post('/api/workspaces', {
        body: { root_dir: realpathSync(scratchDir()), name: 'elsewhere' },
      })
    ).body.workspace.id;
  });
  after(() => t.close());
  // Every test starts with an empty queue: leftovers of earlier tests are canceled.
  beforeEach(async () => {
    for (const task of (await t.api.get('/api/tasks', { record: false })).body.tasks) {
      if (!['completed', 'failed', 'canceled'].includes(task.status)) {
        await t.api.post(`/api/tasks/${task.id}/cancel`, { body: {}, record: false });
      }
    }
  });

  const task = async (body: Record<string, unknown> = {}) => {
    const reply = await t.api.post('/api/tasks', {
      body: { scope: 'workspace', workspace: ws, title: 'work', ...body },
    });
    assert.equal(reply.status, 201, reply.text);
    const started = await t.api.post(`/api/tasks/${reply.body.task.id}/start`, { body: {} });
    assert.equal(started.status, 201, started.text);
    return { task: reply.body.task, run: started.body.run };
  };
  const session = (workspace = ws, agent = 'worker') => insertActiveSession(t.store, workspace, agent);
  const claim = (s: AgentSession, body: Record<string, unknown> = {}) =>
    t.api.post('/api/agent/tasks/claim-next', { body, headers: s.headers });
  const lease = (s: AgentSession, run: string, action: string, body: Record<string, unknown> = {}) =>
    t.api.post(`/api/agent/tasks/${run}/${action}`, { body, headers: s.headers });

  test('claim-next leases a run: token hash, lease, task stays ready; 204 when nothing is left', async () => {
    const { task: created, run } = await task();
    const s = await session();
    const claimed = await claim(s);
    assert.equal(claimed.status, 200, claimed.text);
    const { claim: c } = claimed.body;
    assert.equal(c.run.id, run.id);
    assert.equal(c.run.status, 'claimed');
    assert.equal(c.run.session_id, s.id);
    assert.deepEqual(c.run.claimed_by, { kind: 'agent_session', ref: s.id });
    assert.match(c.lease.claim_token_hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(c.lease.lease_until, new Date(t.clock.now().getTime() + 300_000).toISOString());
    assert.equal(c.task.id, created.id);
    assert.equal(c.task.status, 'ready');
    assert.equal(c.coordination_channel.id, `coord-${run.id}`);
    assert.doesNotMatch(claimed.text, /agh_claim_/);
    const again = await claim(await session());
    assert.equal(again.status, 204);
    assert.equal(again.text, '');
  });

  test('me and context show the lease a session holds, and the brief', async () => {
    const { task: created, run } = await task({ description: 'Make the build green' });
    const s = await session();
    await claim(s);
    const me = (await t.api.get('/api/agent/me', { headers: s.headers })).body.me;
    assert.deepEqual(
      me.active_task_leases.map((l: any) => l.run_id),
      [run.id],
    );
    const context = (await t.api.get('/api/agent/context', { headers: s.headers })).body.context;
    assert.equal(context.task.available, true);
    assert.equal(context.task.task.id, created.id);
    assert.equal(context.task.lease.run_id, run.id);
    const bundle = context.task.bundle;
    assert.equal(bundle.current_run.id, run.id);
    assert.equal(bundle.current_run.ended_at, '0001-01-01T00:00:00Z', 'not reached yet: the zero time');
    assert.equal(bundle.handoff_summary, 'work\n\nMake the build green');
    assert.deepEqual(
      bundle.recent_events.map((e: any) => e.event_type),
      ['task.created', 'task.run_enqueued', 'task.run_claimed'],
    );
    await lease(s, run.id, 'complete');
    const after = (await t.api.get('/api/agent/context', { headers: s.headers })).body.context;
    assert.equal(after.task.available, false);
  });

  test('one active lease per session; heartbeat sets now + lease; complete keeps the hash', async () => {
    await task();
    await task();
    const s = await session();
    const first = (await claim(s)).body.claim;
    const second = await claim(s);
    assert.equal(second.status, 409);
    assert.match(second.body.error, /active run lease/);

    t.clock.advance(100_000);
    const beat = await lease(s, first.run.id, 'heartbeat', { lease_seconds: 600 });
    assert.equal(beat.status, 200, beat.text);
    assert.equal(beat.body.lease.lease_until, new Date(t.clock.now().getTime() + 600_000).toISOString());
    assert.equal(beat.body.lease.heartbeat_at, t.clock.now().toISOString());

    const done = await lease(s, first.run.id, 'complete', { result: { answer: 42 } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.lease.status, 'completed');
    assert.equal(done.body.lease.claim_token_hash, first.lease.claim_token_hash);
    const detail = (await t.api.get(`/api/tasks/${first.task.id}`)).body.task;
    assert.equal(detail.task.status, 'completed');
    assert.deepEqual(detail.runs[0].result, { answer: 42 });
    assert.equal(detail.task.current_run_id, undefined);
    // Finished: the lease is over for every further write.
    for (const action of ['heartbeat', 'complete', 'release']) {
      const late = await lease(s, first.run.id, action);
      assert.equal(late.status, 409, `${action}: ${late.text}`);
    }
    assert.equal((await lease(s, first.run.id, 'fail', { error: 'late' })).status, 409);
    // And the session may claim again.
    assert.equal((await claim(s)).status, 200);
  });

  test('fail records the error; the task is ready again while attempts remain, failed after the last', async () => {
    const { task: created } = await task({ max_attempts: 2 });
    const s = await session();
    const one = (await claim(s)).body.claim;
    assert.equal((await lease(s, one.run.id, 'fail', { error: '  ' })).status, 422);
    const failed = await lease(s, one.run.id, 'fail', { error: 'compiler said no', metadata: { code: 2 } });
    assert.equal(failed.status, 200, failed.text);
    let detail = (await t.api.get(`/api/tasks/${created.id}`)).body.task;
    assert.equal(detail.task.status, 'ready');
    assert.equal(detail.runs[0].error, 'compiler said no');
    const second = await t.api.post(`/api/tasks/${created.id}/runs`, { body: {} });
    assert.equal(second.status, 201);
    assert.equal(second.body.run.attempt, 2);
    const two = (await claim(s)).body.claim;
    await lease(s, two.run.id, 'fail', { error: 'again' });
    detail = (await t.api.get(`/api/tasks/${created.id}`)).body.task;
    assert.equal(detail.task.status, 'failed');
    const third = await t.api.post(`/api/tasks/${created.id}/runs`, { body: {} });
    assert.equal(third.status, 409);
    assert.match(third.body.error, /exhausted max_attempts=2/);
  });

  test('release requeues the same run and attempt; the releaser can no longer write to it', async () => {
    const { run } = await task();
    const a = await session();
    const first = (await claim(a)).body.claim;
    const released = await lease(a, run.id, 'release', { reason: 'not my kind of work' });
    assert.equal(released.status, 200, released.text);
    assert.equal(released.body.lease.status, 'queued');
    assert.equal(released.body.lease.claim_token_hash, undefined);
    const stale = await lease(a, run.id, 'complete');
    assert.equal(stale.status, 409);
    assert.match(stale.body.error, /NO_ACTIVE_LEASE/);

    const b = await session();
    const reclaimed = (await claim(b)).body.claim;
    assert.equal(reclaimed.run.id, run.id);
    assert.equal(reclaimed.run.attempt, 1);
    assert.notEqual(reclaimed.lease.claim_token_hash, first.lease.claim_token_hash);
    // The old holder cannot touch the new claim; the new holder can.
    assert.equal((await lease(a, run.id, 'heartbeat')).status, 409);
    const otherRun = await lease(b, 'run-0000000000000000', 'heartbeat');
    assert.equal(otherRun.status, 403);
    assert.match(otherRun.body.error, /FOREIGN_RUN/);
    assert.equal((await lease(b, run.id, 'complete')).status, 200);
  });

  test('expiry: exact with the clock; not claimable until swept; the expired holder is refused', async () => {
    const { run } = await task();
    const a = await session();
    await claim(a, { lease_seconds: 60 });
    t.clock.advance(59_999);
    assert.equal((await lease(a, run.id, 'heartbeat', { lease_seconds: 60 })).status, 200);
    t.clock.advance(60_000);
    const expired = await lease(a, run.id, 'heartbeat');
    assert.equal(expired.status, 409, 'a heartbeat at exactly lease_until is too late');
    assert.match(expired.body.error, /LEASE_EXPIRED/);
    const b = await session();
    assert.equal((await claim(b)).status, 204, 'expired but not swept: not claimable');
    assert.equal(await t.services.scheduler.sweep(), 1);
    const timeline = (await t.api.get(`/api/tasks/${run.task_id}/timeline`)).body.timeline;
    const event = timeline.find((e: any) => e.event_type === 'task.run_lease_expired');
    assert.equal(event.payload.reason, 'scheduler_sweep');
    assert.equal(event.payload.session_id, a.id);
    const reclaimed = (await claim(b)).body.claim;
    assert.equal(reclaimed.run.id, run.id);
    assert.equal(reclaimed.run.attempt, 1);
    assert.equal((await lease(a, run.id, 'complete')).status, 409);
    assert.equal((await lease(b, run.id, 'complete')).status, 200);
  });

  test('eligibility: own workspace (and global) only, owners, pause, scheduler pause; priority then age', async () => {
    const s = await session();
    const foreign = await t.api.post('/api/tasks', {
      body: { scope: 'workspace', workspace: otherWs, title: 'theirs' },
    });
    await t.api.post(`/api/tasks/${foreign.body.task.id}/start`, { body: {} });
    await task({ owner: { kind: 'human', ref: 'alice' } });
    await task({ owner: { kind: 'pool', ref: 'reviewer' } });
    const paused = await task();
    await t.api.post(`/api/tasks/${paused.task.id}/pause`, { body: { reason: 'wait' } });
    assert.equal((await claim(s)).status, 204);
    assert.equal((await claim(s, { workspace_id: otherWs })).status, 403);

    const low = await task({ priority: 'low' });
    t.clock.advance(1000);
    const urgentOld = await task({ priority: 'urgent' });
    t.clock.advance(1000);
    await task({ priority: 'urgent' });
    const mine = await task({ owner: { kind: 'pool', ref: 'worker' } });
    const global = await t.api.post('/api/tasks', { body: { scope: 'global', title: 'anyone' } });
    await t.api.post(`/api/tasks/${global.body.task.id}/start`, { body: {} });

    assert.equal((await claim(s, { priority_min: 50 })).status, 204);
    const first = (await claim(s)).body.claim;
    assert.equal(first.run.id, urgentOld.run.id, 'urgent first, older first');
    await lease(s, first.run.id, 'complete');
    const order: string[] = [];
    for (;;) {
      const next = await claim(s);
      if (next.status === 204) break;
      order.push(next.body.claim.task.id);
      await lease(s, next.body.claim.run.id, 'complete');
    }
    assert.equal(order.length, 4);
    assert.equal(order.at(-1), low.task.id);
    assert.ok(order.includes(mine.task.id) && order.includes(global.body.task.id));

    await t.api.post('/api/scheduler/pause', { body: { reason: 'maintenance' } });
    await task();
    assert.equal((await claim(s)).status, 204, 'a paused scheduler hands out nothing');
    await t.api.post('/api/scheduler/resume', { body: {} });
    assert.equal((await claim(s)).status, 200);
  });

  test('claim-next wait returns as soon as work is enqueued, and a paused task is claimable after resume', async () => {
    const s = await session();
    const waiting = claim(s, { wait: true });
    await eventually(() => longPollWaiting(t.services, ws), 'the long poll to wait');
    const { run } = await task();
    const got = await waiting;
    assert.equal(got.status, 200, got.text);
    assert.equal(got.body.claim.run.id, run.id);
    await lease(s, run.id, 'complete');

    const held = await task();
    await t.api.post(`/api/tasks/${held.task.id}/pause`, { body: { reason: 'hold' } });
    const waitingAgain = claim(s, { wait: true });
    await eventually(() => longPollWaiting(t.services, ws), 'the long poll to wait');
    await t.api.post(`/api/tasks/${held.task.id}/resume`);
    const resumed = await waitingAgain;
    assert.equal(resumed.body.claim.run.id, held.run.id);
  });

  test('a long poll whose client went away claims nothing', async () => {
    const s = await session();
    const controller = new AbortController();
    const poll = fetch(`${t.url}/api/agent/tasks/claim-next`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...s.headers },
      body: JSON.stringify({ wait: true }),
      signal: controller.signal,
    }).catch(() => undefined);
    await eventually(() => longPollWaiting(t.services, ws), 'the long poll to wait');
    controller.abort();
    await poll;
    // A poll is registered for as long as it may still claim; once the daemon noticed the client
    // left, nothing enqueued from then on can be claimed by it.
    await eventually(() => !longPollWaiting(t.services, ws), 'the daemon to end the abandoned poll');
    const { run } = await task();
    assert.equal((await t.api.get(`/api/tasks/${run.task_id}/runs`)).body.runs[0].status, 'queued');
    assert.equal((await claim(s)).body.claim.run.id, run.id, 'and the session may claim it itself');
  });

  test('a session that stops hands its claimed runs back at once', async () => {
    const { run } = await task();
    const s = await startProcessSession(t, root, ws);
    assert.equal((await claim(s, { lease_seconds: 86_400 })).status, 200);
    await t.api.post(`/api/sessions/${s.id}/stop`, { body: {} });
    const runs = (await t.api.get(`/api/tasks/${run.task_id}/runs`)).body.runs;
    assert.equal(runs[0].status, 'queued');
    const released = (await t.api.get(`/api/tasks/${run.task_id}/timeline`)).body.timeline.at(-1);
    assert.equal(released.event_type, 'task.run_released');
    assert.equal(released.payload.reason, 'session_stopped');
  });

  test('bad lease input is 422 and writes nothing', async () => {
    const { run } = await task();
    const s = await session();
    for (const body of [{ lease_seconds: -1 }, { lease_seconds: 86_401 }]) {
      const reply = await claim(s, body);
      assert.equal(reply.status, 422, reply.text);
    }
    await claim(s);
    assert.equal((await lease(s, run.id, 'complete', { result: { claim_token: 'x' } })).status, 422);
    assert.equal((await lease(s, run.id, 'complete', { result: 'x'.repeat(70_000) })).status, 413);
    assert.equal((await lease(s, run.id, 'heartbeat', { lease_seconds: 1.5 })).status, 422);
    assert.equal((await lease(s, run.id, 'fail', {})).status, 422);
    const unknownSession = { 'x-agh-session-id': 'sess-0000000000000000', 'x-agh-agent': 'worker' };
    assert.equal(
      (await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: unknownSession })).status,
      401,
    );
    const runs = (await t.api.get(`/api/tasks/${run.task_id}/runs`)).body.runs;
    assert.equal(runs[0].status, 'claimed');
  });
});
