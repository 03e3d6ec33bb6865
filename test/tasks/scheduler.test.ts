// Scheduler controls (tasks.md §7.2): status counts, the backlog and its filters, pause/resume, and
// drain, which waits on run events (bounded) until no claim is in flight; on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/agents.ts';
import { scratchDir, type TestApp } from '../helpers/app.ts';
import { forEachDialect, startTestAppOn } from '../helpers/dialects.ts';
import { withDeadline } from '../helpers/daemon-process.ts';
import { insertActiveSession } from '../helpers/tasks.ts';

forEachDialect('scheduler: status, backlog, pause, resume, drain', (ctx) => {
  let t: TestApp;
  let ws: string;
  before(async () => {
    t = await startTestAppOn(ctx);
    ws = (
      await t.api.post('/api/workspaces', { body: { root_dir: realpathSync(scratchDir()), name: 'sched' } })
    ).body.workspace.id;
  });
  after(() => t.close());

  const queued = async (body: Record<string, unknown> = {}) => {
    const task = (
      await t.api.post('/api/tasks', { body: { scope: 'workspace', workspace: ws, title: 'q', ...body } })
    ).body.task;
    const run = (await t.api.post(`/api/tasks/${task.id}/start`, { body: {} })).body.run;
    return { taskId: task.id as string, runId: run.id as string };
  };

  test('status and backlog: priority then age; paused tasks hidden unless asked; limits checked', async () => {
    const low = await queued({ priority: 'low' });
    t.clock.advance(1000);
    const high = await queued({ priority: 'high' });
    const held = await queued({ priority: 'urgent' });
    await t.api.post(`/api/tasks/${held.taskId}/pause`, { body: { reason: 'later' } });
    const global = await t.api.post('/api/tasks', { body: { scope: 'global', title: 'g' } });
    await t.api.post(`/api/tasks/${global.body.task.id}/start`, { body: {} });

    const status = (await t.api.get('/api/scheduler')).body.scheduler;
    assert.equal(status.paused, false);
    assert.equal(status.queued_run_count, 4);
    assert.equal(status.paused_task_count, 1);
    assert.equal(status.active_claim_count, 0);

    const backlog = (await t.api.get(`/api/scheduler/backlog?workspace=sched`)).body.backlog;
    assert.deepEqual(
      backlog.runs.map((e: any) => e.run.id),
      [high.runId, low.runId],
    );
    assert.equal(backlog.total, 2);
    assert.equal(backlog.runs[0].task.priority, 'high');
    const withPaused = (await t.api.get('/api/scheduler/backlog?include_paused=true&scope=workspace')).body
      .backlog;
    assert.equal(withPaused.runs[0].run.id, held.runId);
    assert.equal(withPaused.runs[0].task.effective_paused, true);
    const limited = (await t.api.get('/api/scheduler/backlog?limit=1')).body.backlog;
    assert.equal(limited.runs.length, 1);
    assert.equal(limited.total, 3);
    assert.equal((await t.api.get('/api/scheduler/backlog?limit=501')).status, 422);
    assert.equal((await t.api.get('/api/scheduler/backlog?limit=0')).status, 422);
    t.clock.advance(121_000);
    assert.equal(
      (await t.api.get('/api/scheduler')).body.scheduler.starved_run_count,
      3,
      'paused work does not starve',
    );
  });

  test('pause records who and why; resume clears it; both are idempotent', async () => {
    const paused = await t.api.post('/api/scheduler/pause', { body: { reason: 'deploying' } });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.scheduler.paused, true);
    assert.equal(paused.body.scheduler.paused_by, 'human:local-user');
    assert.equal(paused.body.scheduler.paused_reason, 'deploying');
    assert.equal((await t.api.post('/api/scheduler/pause')).status, 200);
    const resumed = await t.api.post('/api/scheduler/resume');
    assert.equal(resumed.body.scheduler.paused, false);
    assert.equal(resumed.body.scheduler.paused_by, undefined);
    assert.equal((await t.api.post('/api/scheduler/resume', { body: {} })).status, 200);
  });

  test('drain: pauses, then waits for claims in flight; timeout bounds the wait; it stays paused', async () => {
    const nothing = await t.api.post('/api/scheduler/drain', { body: {} });
    assert.equal(nothing.status, 200, nothing.text);
    assert.equal(nothing.body.completed, true);
    assert.equal(nothing.body.remaining_claims, 0);
    assert.equal(nothing.body.scheduler.paused, true);
    await t.api.post('/api/scheduler/resume');

    const s = await insertActiveSession(t.store, ws);
    const claim = (await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: s.headers })).body
      .claim;
    const timedOut = await t.api.post('/api/scheduler/drain', {
      body: { timeout_seconds: 0, reason: 'quick look' },
    });
    assert.equal(timedOut.body.completed, false);
    assert.equal(timedOut.body.timed_out, true);
    assert.equal(timedOut.body.remaining_claims, 1);
    assert.equal(timedOut.body.scheduler.paused_reason, 'quick look');

    await t.api.post('/api/scheduler/resume');
    const draining = t.api.post('/api/scheduler/drain', { body: { timeout_seconds: 3600 } });
    // Drain pauses before it counts the claims in flight: once paused, it waits for this one.
    await eventually(
      async () => (await t.api.get('/api/scheduler', { record: false })).body.scheduler.paused === true,
      'the drain to pause the scheduler',
    );
    const done = await t.api.post(`/api/agent/tasks/${claim.run.id}/complete`, {
      body: {},
      headers: s.headers,
    });
    assert.equal(done.status, 200);
    // The drain may wait an hour; answering long after the completion would be a missed event.
    const drained = await withDeadline(
      draining,
      60_000,
      () => 'the drain went on after the last claim ended',
    );
    assert.equal(drained.body.completed, true);
    assert.equal(drained.body.remaining_claims, 0);
    assert.equal(
      (await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: s.headers })).status,
      204,
    );
    assert.equal((await t.api.post('/api/scheduler/drain', { body: { timeout_seconds: -1 } })).status, 422);
    assert.equal((await t.api.post('/api/scheduler/drain', { body: { timeout_seconds: 3601 } })).status, 422);
    await t.api.post('/api/scheduler/resume');
  });

  test('drain does not miss a claim that ends while it is counting the claims in flight', async () => {
    await queued();
    const s = await insertActiveSession(t.store, ws);
    const claimed = await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: s.headers });
    assert.equal(claimed.status, 200, claimed.text);
    const runId = claimed.body.claim.run.id as string;
    // Once the drain listens for run events, its next count reads the store, then the claim
    // completes (its events arrive while that count is still out), then the count answers with
    // what it read: one claim in flight. Only a count after those events can see the drain through.
    const { scheduler, kernel } = t.services;
    const status = scheduler.status.bind(scheduler);
    const subscribe = kernel.bus.subscribe.bind(kernel.bus);
    let listening = false;
    let completed = false;
    let countsAfter = 0;
    kernel.bus.subscribe = (listener) => {
      listening = true;
      return subscribe(listener);
    };
    scheduler.status = async () => {
      const read = await status();
      if (completed) countsAfter += 1;
      if (listening && !completed) {
        const done = await t.api.post(`/api/agent/tasks/${runId}/complete`, { body: {}, headers: s.headers });
        assert.equal(done.status, 200, done.text);
        completed = true;
      }
      return read;
    };
    try {
      const drained = await withDeadline(
        t.api.post('/api/scheduler/drain', { body: { timeout_seconds: 120 } }),
        60_000,
        () => 'the drain missed the completion and waits for its timeout',
      );
      assert.equal(completed, true);
      assert.equal(drained.body.completed, true);
      assert.ok(countsAfter >= 1, 'the drain counted again after the completion');
    } finally {
      delete (scheduler as Partial<typeof scheduler>).status;
      delete (kernel.bus as Partial<typeof kernel.bus>).subscribe;
      await t.api.post('/api/scheduler/resume');
    }
  });
});
