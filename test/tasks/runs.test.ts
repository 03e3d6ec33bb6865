// Operator paths on runs (tasks.md §3.5, §3.7, §7.3): manual claim/attach/start/complete/fail/cancel,
// force release and fail, retry, starvation into needs_attention and recover, bulk, inspect; on SQLite
// and on PostgreSQL. Time moves only by the injected clock.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { scratchDir, type TestApp } from '../helpers/app.ts';
import { forEachDialect, startTestAppOn } from '../helpers/dialects.ts';
import { type AgentSession, insertActiveSession } from '../helpers/tasks.ts';

forEachDialect('runs: the manual path, overrides, retry and recover, inspect', (ctx) => {
  let t: TestApp;
  let ws: string;
  before(async () => {
    t = await startTestAppOn(ctx);
    ws = (
      await t.api.post('/api/workspaces', { body: { root_dir: realpathSync(scratchDir()), name: 'runs' } })
    ).body.workspace.id;
  });
  after(() => t.close());

  const queued = async (body: Record<string, unknown> = {}) => {
    const created = await t.api.post('/api/tasks', {
      body: { scope: 'workspace', workspace: ws, title: 'job', ...body },
    });
    assert.equal(created.status, 201, created.text);
    const started = await t.api.post(`/api/tasks/${created.body.task.id}/start`, { body: {} });
    assert.equal(started.status, 201, started.text);
    return { taskId: created.body.task.id as string, runId: started.body.run.id as string };
  };
  const leased = async (): Promise<{ taskId: string; runId: string; s: AgentSession }> => {
    const job = await queued();
    const s = await insertActiveSession(t.store, ws);
    const claim = await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: s.headers });
    assert.equal(claim.body.claim.run.id, job.runId, 'the oldest queued run is this one');
    return { ...job, s };
  };
  const drain = async () => {
    // Leftover queued runs of earlier tests would be claimed first.
    for (const task of (await t.api.get('/api/tasks', { record: false })).body.tasks) {
      if (!['completed', 'failed', 'canceled'].includes(task.status)) {
        await t.api.post(`/api/tasks/${task.id}/cancel`, { body: {}, record: false });
      }
    }
  };

  test('manual claim, attach a session, start, complete: no lease, no token; the task goes in_progress', async () => {
    const { taskId, runId } = await queued();
    const claimed = await t.api.post(`/api/task-runs/${runId}/claim`, { body: {} });
    assert.equal(claimed.status, 200, claimed.text);
    assert.equal(claimed.body.run.status, 'claimed');
    assert.deepEqual(claimed.body.run.claimed_by, { kind: 'human', ref: 'local-user' });
    assert.equal(claimed.body.run.claim_token_hash, undefined);
    assert.equal(claimed.body.run.lease_until, undefined);
    assert.equal((await t.api.post(`/api/task-runs/${runId}/claim`, { body: {} })).status, 409);

    const s = await insertActiveSession(t.store, ws);
    assert.equal(
      (
        await t.api.post(`/api/task-runs/${runId}/attach-session`, {
          body: { session_id: 'sess-0000000000000000' },
        })
      ).status,
      404,
    );
    const attached = await t.api.post(`/api/task-runs/${runId}/attach-session`, {
      body: { session_id: s.id },
    });
    assert.equal(attached.status, 200, attached.text);
    assert.equal(attached.body.run.status, 'starting');
    assert.equal(
      (await t.api.post(`/api/task-runs/${runId}/attach-session`, { body: { session_id: s.id } })).status,
      409,
    );
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.task.status, 'in_progress');
    assert.equal(
      (await t.api.post(`/api/task-runs/${runId}/complete`, { body: {} })).status,
      409,
      'not running yet',
    );
    const running = await t.api.post(`/api/task-runs/${runId}/start`, { body: {} });
    assert.equal(running.status, 200, running.text);
    assert.equal(running.body.run.status, 'running');
    const done = await t.api.post(`/api/task-runs/${runId}/complete`, { body: { result: 'shipped' } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.run.result, 'shipped');
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.task.status, 'completed');
    const detail = await t.api.get(`/api/task-runs/${runId}`);
    assert.equal(detail.status, 200, detail.text);
    assert.equal(detail.body.run.session.session_id, s.id);
    assert.equal(detail.body.run.summary.last_event_type, 'task.run_completed');
    const claimEvent = (await t.api.get(`/api/tasks/${taskId}/timeline`)).body.timeline.find(
      (e: any) => e.event_type === 'task.run_claimed',
    );
    assert.equal(claimEvent.payload.lease_until, '0001-01-01T00:00:00Z');
  });

  test('manual start refuses a run no session can be started for, and leaves it claimed', async () => {
    const global = (await t.api.post('/api/tasks', { body: { scope: 'global', title: 'nowhere to run' } }))
      .body.task;
    const run = (await t.api.post(`/api/tasks/${global.id}/start`, { body: {} })).body.run;
    await t.api.post(`/api/task-runs/${run.id}/claim`, { body: {} });
    const refused = await t.api.post(`/api/task-runs/${run.id}/start`, { body: {} });
    assert.equal(refused.status, 422, refused.text);
    assert.match(refused.body.error, /global/);
    const { taskId, runId } = await queued();
    await t.api.post(`/api/task-runs/${runId}/claim`, { body: {} });
    const noAgent = await t.api.post(`/api/task-runs/${runId}/start`, { body: {} });
    assert.equal(noAgent.status, 422);
    assert.match(noAgent.body.error, /no worker agent/);
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.runs[0].status, 'claimed');
    assert.equal((await t.api.get(`/api/tasks/${global.id}`)).body.task.runs[0].status, 'claimed');
  });

  test('a human fails a running run that has no lease: the error is recorded, attempts remain', async () => {
    const { taskId, runId } = await queued();
    await t.api.post(`/api/task-runs/${runId}/claim`, { body: {} });
    const s = await insertActiveSession(t.store, ws);
    await t.api.post(`/api/task-runs/${runId}/attach-session`, { body: { session_id: s.id } });
    await t.api.post(`/api/task-runs/${runId}/start`, { body: {} });
    const failed = await t.api.post(`/api/task-runs/${runId}/fail`, {
      body: { error: 'disk full', metadata: { free: 0 } },
    });
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.body.run.status, 'failed');
    assert.equal(failed.body.run.error, 'disk full');
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.task.status, 'ready');
    assert.equal(
      (await t.api.post(`/api/task-runs/${runId}/fail`, { body: { error: 'again' } })).status,
      409,
    );
  });

  test('leased runs are finished only by their holder; operators cancel or force them', async () => {
    await drain();
    const { taskId, runId, s } = await leased();
    const complete = await t.api.post(`/api/task-runs/${runId}/complete`, { body: {} });
    assert.equal(complete.status, 409);
    assert.match(complete.body.error, /token-fenced/);
    assert.equal((await t.api.post(`/api/task-runs/${runId}/fail`, { body: { error: 'x' } })).status, 409);
    assert.equal((await t.api.post(`/api/task-runs/${runId}/fail`, { body: {} })).status, 422);

    assert.equal(
      (await t.api.post(`/api/runs/${runId}/fail`, { body: {} })).body.diagnostic.code,
      'force_op_requires_reason',
    );
    const released = await t.api.post(`/api/runs/${runId}/release`, { body: { reason: 'rebalancing' } });
    assert.equal(released.status, 200, released.text);
    assert.equal(released.body.run.status, 'queued');
    assert.equal(released.body.run.claim_token_hash, undefined);
    assert.equal(
      (await t.api.post(`/api/agent/tasks/${runId}/heartbeat`, { body: {}, headers: s.headers })).status,
      409,
    );
    assert.equal(
      (await t.api.post(`/api/runs/${runId}/release`, { body: {} })).status,
      409,
      'only claimed runs',
    );
    const failed = await t.api.post(`/api/runs/${runId}/fail`, { body: { reason: 'bad input data' } });
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.body.run.failure_kind, 'operator_forced');
    assert.equal(failed.body.run.error, 'bad input data');
    const again = await t.api.post(`/api/runs/${runId}/fail`, { body: { reason: 'again' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.diagnostic.code, 'task_run_already_terminal');
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.task.status, 'ready', 'attempts remain');
  });

  test('retry: only failed runs, once each, chained by previous_run_id', async () => {
    await drain();
    const { runId } = await queued();
    assert.equal(
      (await t.api.post(`/api/runs/${runId}/retry`, { body: {} })).body.diagnostic.code,
      'task_run_still_active',
    );
    await t.api.post(`/api/runs/${runId}/fail`, { body: { reason: 'first try broke' } });
    const retried = await t.api.post(`/api/runs/${runId}/retry`, { body: { metadata: { why: 'flaky' } } });
    assert.equal(retried.status, 201, retried.text);
    assert.equal(retried.body.previous_run.id, runId);
    assert.equal(retried.body.run.previous_run_id, runId);
    assert.equal(retried.body.run.attempt, 2);
    await t.api.post(`/api/runs/${retried.body.run.id}/fail`, { body: { reason: 'again' } });
    const twice = await t.api.post(`/api/runs/${runId}/retry`, { body: {} });
    assert.equal(twice.status, 409);
    assert.match(twice.body.error, /already has retry run/);
  });

  test('starvation: a run nobody takes escalates to needs_attention; only recover gets it out', async () => {
    await drain();
    const { taskId, runId } = await queued();
    for (let cycle = 0; cycle < 12; cycle++) {
      t.clock.advance(15_000);
      await t.services.scheduler.escalate();
    }
    let run = (await t.api.get(`/api/tasks/${taskId}/runs`)).body.runs[0];
    assert.equal(run.status, 'queued', 'the first two minutes do not count');
    t.clock.advance(120_000);
    const types = new Set<string>();
    for (let cycle = 0; cycle < 10; cycle++) {
      await t.services.scheduler.escalate();
      t.clock.advance(15_000);
    }
    for (const e of (await t.api.get(`/api/tasks/${taskId}/timeline`)).body.timeline) types.add(e.event_type);
    run = (await t.api.get(`/api/tasks/${taskId}/runs`)).body.runs[0];
    assert.equal(run.status, 'needs_attention');
    assert.ok(types.has('task.run_starved') && types.has('task.run_needs_attention'));
    assert.equal((await t.api.get('/api/scheduler')).body.scheduler.needs_attention_run_count, 1);
    assert.equal((await t.api.post(`/api/tasks/${taskId}/cancel`, { body: {} })).status, 409);
    assert.equal(
      (await t.api.post(`/api/runs/${runId}/fail`, { body: { reason: 'x' } })).body.diagnostic.code,
      'task_run_still_active',
    );
    assert.equal((await t.api.delete(`/api/tasks/${taskId}`)).status, 400);
    const inspect = await t.api.get(`/api/runs/${runId}/inspect`);
    assert.equal(inspect.body.inspect.next_action, 'recovery_required');

    const recovered = await t.api.post(`/api/runs/${runId}/recover`, {
      body: { reason: 'a worker is up now' },
    });
    assert.equal(recovered.status, 201, recovered.text);
    assert.equal(recovered.body.previous_run.status, 'failed');
    assert.equal(recovered.body.previous_run.failure_kind, 'operator_forced');
    assert.equal(recovered.body.run.status, 'queued');
    assert.equal(recovered.body.run.previous_run_id, runId);
    assert.equal(
      (await t.api.post(`/api/runs/${runId}/recover`, { body: {} })).body.diagnostic.code,
      'task_run_not_recoverable',
    );
  });

  test('the starvation count starts again when a run is claimed, and a priority change survives a release', async () => {
    await drain();
    const { taskId, runId } = await queued({ priority: 'low' });
    t.clock.advance(121_000);
    for (let i = 0; i < 9; i++) await t.services.scheduler.escalate();
    const s = await insertActiveSession(t.store, ws);
    const claim = await t.api.post('/api/agent/tasks/claim-next', { body: {}, headers: s.headers });
    assert.equal(claim.body.claim.run.id, runId);
    await t.api.patch(`/api/tasks/${taskId}`, { body: { priority: 'urgent' } });
    await t.api.post(`/api/agent/tasks/${runId}/release`, { body: {}, headers: s.headers });
    await t.services.scheduler.escalate();
    const run = (await t.api.get(`/api/tasks/${taskId}/runs`)).body.runs[0];
    assert.equal(run.status, 'queued', 'one cycle after a release is not ten');
    const again = await t.api.post('/api/agent/tasks/claim-next', {
      body: { priority_min: 40 },
      headers: s.headers,
    });
    assert.equal(again.body.claim.run.id, runId, 'claimed as urgent');
  });

  test('bulk release and fail report each row; bad requests are 422', async () => {
    await drain();
    const a = await leased();
    const b = await queued();
    const result = await t.api.post('/api/runs/bulk/release', {
      body: { run_ids: [a.runId, b.runId, a.runId, 'run-missing'] },
    });
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(
      result.body.results.map((r: any) => [r.run_id, r.ok]),
      [
        [a.runId, true],
        [b.runId, false],
        ['run-missing', false],
      ],
    );
    assert.equal(result.body.results[1].error.diagnostic.code, 'task_run_not_releasable');
    assert.equal((await t.api.post('/api/runs/bulk/fail', { body: { run_ids: [a.runId] } })).status, 422);
    const many = Array.from({ length: 51 }, (_, i) => `run-${i}`);
    assert.equal(
      (await t.api.post('/api/runs/bulk/fail', { body: { run_ids: many, reason: 'x' } })).body.diagnostic
        .code,
      'bulk_too_large',
    );
    assert.equal((await t.api.post('/api/runs/bulk/release', { body: { run_ids: [' '] } })).status, 422);
    const failed = await t.api.post('/api/runs/bulk/fail', {
      body: { run_ids: [a.runId, b.runId], reason: 'cleanup' },
    });
    assert.ok(failed.body.results.every((r: any) => r.ok && r.run.status === 'failed'));
  });

  test('inspect: a leased run whose lease ran out and whose session is gone needs recovery', async () => {
    await drain();
    const { taskId, runId, s } = await leased();
    await t.store.db.updateTable('sessions').set({ state: 'stopped' }).where('id', '=', s.id).execute();
    t.clock.advance(301_000);
    const report = (await t.api.get(`/api/tasks/${taskId}/inspect`)).body.inspect;
    assert.equal(report.target, 'task');
    assert.equal(report.current_run.run_id, runId);
    assert.equal(report.current_run.claim_token_hash_truncated.length, 8);
    const codes = report.diagnostics.map((d: any) => d.code).sort();
    assert.deepEqual(codes, ['task_run_orphan', 'task_run_stale_lease', 'task_run_stuck']);
    assert.equal(report.next_action, 'recovery_required');
    assert.equal(report.bound_session.session_id, s.id);
    assert.equal((await t.api.get('/api/runs/run-nope/inspect')).status, 404);
  });

  test('cancel a run: the task is canceled, and nothing more can run', async () => {
    const { taskId, runId } = await queued();
    const canceled = await t.api.post(`/api/task-runs/${runId}/cancel`, {
      body: { reason: 'changed my mind' },
    });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.run.status, 'canceled');
    assert.equal((await t.api.get(`/api/tasks/${taskId}`)).body.task.task.status, 'canceled');
    assert.equal((await t.api.post(`/api/task-runs/${runId}/cancel`, { body: {} })).status, 409);
    assert.equal((await t.api.post(`/api/tasks/${taskId}/runs`, { body: {} })).status, 409);
  });
});
