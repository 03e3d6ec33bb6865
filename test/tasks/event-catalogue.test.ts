// The event catalogue against what the daemon really writes: realistic scenarios drive tasks, runs
// and sessions through the API and the services, then every event in the log must be a catalogued
// type, under its scope kind, with a payload its schema accepts strictly (a key the catalogue does
// not name fails too). Together the scenarios must produce every catalogued type, so that no schema
// goes unchecked, unless the type is on the commented allow-list below.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { z } from 'zod';
import {
  type CatalogueEvent,
  EVENT_CATALOGUE,
  type EventType,
  isEventType,
} from '../../src/contract/events.ts';
import { TASK_EVENTS } from '../../src/contract/task-events.ts';
import { EventLogRows } from '../../src/store/event-log.ts';
import { type MoveName, RUN_MOVES, type RunMove } from '../../src/tasks/run-moves.ts';
import {
  eventually,
  FAKE_PROCESS_AGENT,
  fixtureCommand,
  putAgent,
  putFakeAcpAgent,
} from '../helpers/agents.ts';
import type { ApiReply } from '../helpers/api.ts';
import { scratchDir, startTestApp, type TestApp } from '../helpers/app.ts';
import { type AgentSession, insertActiveSession, startProcessSession } from '../helpers/tasks.ts';

/**
 * Catalogued types no scenario here produces, each with the reason. Empty: every type has a
 * scenario. A type added to the catalogue without one fails the last test until it gets one.
 */
const NOT_PRODUCED = new Map<EventType, string>([]);

const produced = new Set<string>();

/** Checks every event in `t`'s log against the catalogue; reports the types it did not see. */
async function checkLog(t: TestApp, ctx: TestContext): Promise<void> {
  const events = await new EventLogRows(t.store.db, t.store.dialect).since(0, 10_000);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (!isEventType(e.type)) {
      problems.push(`#${e.seq} ${e.type}: not in the catalogue`);
      continue;
    }
    const entry = EVENT_CATALOGUE[e.type];
    if (e.scope_kind !== entry.scope) problems.push(`#${e.seq} ${e.type}: scope ${e.scope_kind}`);
    const parsed = (entry.schema as z.ZodObject).strict().safeParse(e.payload);
    if (!parsed.success) {
      problems.push(`#${e.seq} ${e.type}: ${z.prettifyError(parsed.error)}\n  ${JSON.stringify(e.payload)}`);
    }
    seen.add(e.type);
    produced.add(e.type);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  const unseen = Object.keys(EVENT_CATALOGUE).filter((type) => !seen.has(type));
  ctx.diagnostic(`${seen.size} types in ${events.length} events; not produced here: ${unseen.join(', ')}`);
}

/** A session as the lease service knows it (holders mark their runs running only in-process). */
const caller = (s: AgentSession, workspaceId: string) => ({
  sessionId: s.id,
  agentName: s.agent,
  workspaceId,
  channel: null,
});

function ok(res: ApiReply, what: string): any {
  assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text}`);
  return res.body;
}

/** The calls the scenarios make, bound to one app. */
function client(t: TestApp) {
  const post = async (url: string, body: unknown = {}, headers?: Record<string, string>) =>
    ok(await t.api.post(url, { body, ...(headers && { headers }) }), `POST ${url}`);
  const workspace = async (name: string, root = realpathSync(scratchDir())) =>
    (await post('/api/workspaces', { root_dir: root, name })).workspace.id as string;
  const create = async (ws: string, body: Record<string, unknown> = {}) =>
    (await post('/api/tasks', { scope: 'workspace', workspace: ws, title: 'job', ...body })).task;
  const queued = async (ws: string, body: Record<string, unknown> = {}) => {
    const task = await create(ws, body);
    return { taskId: task.id as string, runId: (await post(`/api/tasks/${task.id}/start`)).run.id as string };
  };
  /** Queues a run, then `s` claims the next one (whichever it is: any run will do here). */
  const lease = async (ws: string, s: AgentSession) => {
    await queued(ws);
    return (await post('/api/agent/tasks/claim-next', {}, s.headers)).claim.run.id as string;
  };
  const agent = (s: AgentSession, run: string, action: string, body: unknown = {}) =>
    post(`/api/agent/tasks/${run}/${action}`, body, s.headers);
  const runStatus = async (run: string) =>
    (await t.api.get(`/api/task-runs/${run}`, { record: false })).body.run.run.status as string;
  return { post, workspace, create, queued, lease, agent, runStatus };
}

describe('the event catalogue holds what the daemon writes', () => {
  test("each run move's event has the standard keys the move table says it writes", () => {
    for (const [name, move] of Object.entries(RUN_MOVES) as [MoveName, RunMove][]) {
      const shape: Record<string, z.ZodType> = TASK_EVENTS[move.event].shape;
      const accepts = (key: string, value: unknown) => shape[key]?.safeParse(value).success === true;
      for (const status of move.to ? [move.to] : move.from) {
        assert.ok(accepts('status', status), `${name}: status ${status}`);
      }
      assert.ok(accepts('task_status', 'ready'), `${name}: task_status`);
      // Several moves may share an event: a key all of them write is required, one only some of
      // them write is optional, one none writes is not in the schema.
      const sharers = Object.values(RUN_MOVES as Record<string, RunMove>).filter(
        (m) => m.event === move.event,
      );
      const check = (key: string, values: readonly unknown[], writes: (m: RunMove) => boolean) => {
        if (writes(move)) for (const v of values) assert.ok(accepts(key, v), `${name}: ${key} ${v}`);
        if (sharers.every(writes)) assert.ok(!accepts(key, undefined), `${name}: ${key} is always written`);
        else if (sharers.some(writes)) assert.ok(accepts(key, undefined), `${name}: ${key} is optional`);
        else assert.equal(shape[key], undefined, `${name}: ${key} is never written`);
      };
      check('previous_status', move.from, (m) => m.previous === true);
      check('manual', [true], (m) => m.operator === true);
    }
  });

  test('tasks, leases, operator overrides, manual runs, starvation and boot recovery', async (ctx) => {
    const t = await startTestApp({ config: { sessions: { stop_grace_seconds: 1 } } });
    try {
      const { post, workspace, create, queued, lease, agent, runStatus } = client(t);
      const root = realpathSync(scratchDir());
      putFakeAcpAgent(root, 'coder');
      putAgent(root, 'crasher', {
        provider: 'process',
        command: fixtureCommand(FAKE_PROCESS_AGENT, '--mode=exit:3'),
      });
      const ws = await workspace('catalogue', root);

      // Starvation first, alone in a workspace of its own: the ladder climbs only while nothing else
      // waits anywhere near it.
      const quiet = await workspace('quiet');
      const stuck = await queued(quiet, { title: 'nobody takes this' });
      t.clock.advance(121_000);
      for (let cycle = 0; cycle < 10; cycle++) await t.services.scheduler.escalate();
      assert.equal(await runStatus(stuck.runId), 'needs_attention');
      await post(`/api/runs/${stuck.runId}/recover`, { reason: 'a worker is up now' });
      await post(`/api/tasks/${stuck.taskId}/cancel`, { reason: 'not needed after all' });

      // Task records: a tree, edits, dependency edges (one removed with its task), pause and cancel.
      const parent = await create(ws, {
        title: 'parent',
        owner: { kind: 'human', ref: 'me' },
        network_channel: 'team-a',
      });
      const child = (
        await post(`/api/tasks/${parent.id}/children`, { scope: 'workspace', workspace: ws, title: 'child' })
      ).task;
      await post('/api/tasks', { scope: 'global', title: 'global', metadata: { ticket: 7 } });
      ok(
        await t.api.patch(`/api/tasks/${parent.id}`, {
          body: { title: 'parent, renamed', priority: 'high' },
        }),
        'update',
      );
      const blocker = await create(ws, { title: 'blocker' });
      await post(`/api/tasks/${child.id}/dependencies`, { depends_on_task_id: blocker.id });
      ok(await t.api.delete(`/api/tasks/${child.id}/dependencies/${blocker.id}`), 'remove dependency');
      await post(`/api/tasks/${child.id}/dependencies`, { depends_on_task_id: blocker.id });
      ok(await t.api.delete(`/api/tasks/${blocker.id}`), 'delete');
      await post(`/api/tasks/${child.id}/start`, { idempotency_key: 'child-once' });
      await post(`/api/tasks/${parent.id}/pause`, { reason: 'hold on', metadata: { by: 'ops' } });
      await post(`/api/tasks/${parent.id}/resume`);
      await post(`/api/tasks/${parent.id}/cancel`, { reason: 'superseded', metadata: { by: 'ops' } });

      // Drafts and approvals.
      const draft = await create(ws, { title: 'draft', draft: true });
      await post(`/api/tasks/${draft.id}/publish`);
      const gated = await create(ws, { title: 'gated', approval_policy: 'manual' });
      await post(`/api/tasks/${gated.id}/approve`);
      const refused = await create(ws, { title: 'refused', approval_policy: 'manual' });
      await post(`/api/tasks/${refused.id}/reject`);
      await post('/api/scheduler/pause', { reason: 'deploying' });
      await post('/api/scheduler/resume');

      // Leases held by a live session: start, heartbeat, complete; fail and retry; release; the
      // operator's release and fail; a lease that runs out; a session that stops while holding one.
      const s = await startProcessSession(t, root, ws);
      let run = await lease(ws, s);
      await t.services.leases.markRunning(caller(s, ws), run);
      await agent(s, run, 'heartbeat', { lease_seconds: 600 });
      await agent(s, run, 'complete', { result: { ok: true } });
      run = await lease(ws, s);
      await agent(s, run, 'fail', { error: 'tests failed', metadata: { failing: 3 } });
      await post(`/api/runs/${run}/retry`, { metadata: { why: 'flaky' } });
      run = await lease(ws, s);
      await agent(s, run, 'release', { reason: 'needs a bigger machine' });
      run = await lease(ws, s);
      await post(`/api/runs/${run}/release`, { reason: 'rebalancing' });
      run = await lease(ws, s);
      await post(`/api/runs/${run}/fail`, { reason: 'bad input data', metadata: { rows: 0 } });
      run = await lease(ws, s);
      t.clock.advance(601_000);
      assert.ok((await t.services.scheduler.sweep()) >= 1);
      run = await lease(ws, s);
      await post(`/api/sessions/${s.id}/stop`);
      await eventually(async () => (await runStatus(run)) === 'queued', 'the stopped session to hand back');

      // The manual path: claim, attach a session, start, then a human completes, fails or cancels.
      const bound = async (live: boolean) => {
        const { runId } = await queued(ws, { owner: { kind: 'human', ref: 'me' } });
        await post(`/api/task-runs/${runId}/claim`);
        const session = live
          ? await startProcessSession(t, root, ws)
          : await insertActiveSession(t.store, ws);
        await post(`/api/task-runs/${runId}/attach-session`, { session_id: session.id });
        return runId;
      };
      run = await bound(true);
      await post(`/api/task-runs/${run}/start`);
      await post(`/api/task-runs/${run}/complete`, { result: 'shipped' });
      run = await bound(false);
      await post(`/api/task-runs/${run}/start`);
      await post(`/api/task-runs/${run}/fail`, { error: 'disk full', metadata: { free: 0 } });
      run = await bound(true);
      await post(`/api/task-runs/${run}/cancel`, { reason: 'changed my mind' });

      // A manual start with no session: the daemon starts the workspace's agent for the run.
      ok(
        await t.api.patch(`/api/workspaces/${ws}`, {
          body: { name: null, add_dirs: null, default_agent: 'coder', sandbox_ref: null },
        }),
        'default agent',
      );
      const manual = await queued(ws, { owner: { kind: 'human', ref: 'me' }, description: 'by hand' });
      await post(`/api/task-runs/${manual.runId}/claim`);
      await post(`/api/task-runs/${manual.runId}/start`);
      await t.services.dispatcher.settle();

      // A session whose agent exits at once fails.
      const crashed = (await post('/api/sessions', { agent_name: 'crasher', workspace: ws })).session.id;
      await eventually(
        async () =>
          (await t.api.get(`/api/sessions/${crashed}`, { record: false })).body.session.state === 'stopped',
        'the crashing agent to be gone',
      );

      // Boot recovery of runs held by this daemon's sessions: a claim whose session died goes back to
      // the queue, work that had begun fails, a surviving session keeps its claim.
      const [dead, dying, alive] = [
        await insertActiveSession(t.store, ws),
        await insertActiveSession(t.store, ws),
        await insertActiveSession(t.store, ws),
      ];
      await lease(ws, dead);
      await t.services.leases.markRunning(caller(dying, ws), await lease(ws, dying));
      await lease(ws, alive);
      const ours = new Set([dead.id, dying.id, alive.id]);
      await t.services.scheduler.recoverAtBoot({
        liveHere: (id) => id === alive.id,
        ownedHere: async (id) => ours.has(id),
      });

      await checkLog(t, ctx);
    } finally {
      await t.close();
    }
  });

  test('the dispatcher reports work it cannot start a session for', async (ctx) => {
    const t = await startTestApp({ config: { dispatcher: { enabled: true } } });
    try {
      const { post, workspace, queued } = client(t);
      const ws = await workspace('dispatch');
      const { taskId } = await queued(ws, { owner: { kind: 'pool', ref: 'ghost' } });
      await t.services.dispatcher.settle();
      await post(`/api/tasks/${taskId}/cancel`);
      await checkLog(t, ctx);
    } finally {
      await t.close();
    }
  });

  test('a catalogued event ties its type to its scope kind and payload', () => {
    const payload = {
      status: 'claimed',
      task_status: 'ready',
      claimed_by: { kind: 'human', ref: 'me' },
      lease_until: '0001-01-01T00:00:00Z',
    } as const;
    const event: CatalogueEvent = { type: 'task.run_claimed', scope_kind: 'task', payload };
    // @ts-expect-error task events are never under a session scope
    const misplaced: CatalogueEvent = { type: 'task.run_claimed', scope_kind: 'session', payload };
    // @ts-expect-error nor does a claim carry a session's payload
    const mismatched: CatalogueEvent = { type: 'session.started', scope_kind: 'session', payload };
    const claimer = (e: CatalogueEvent) => (e.type === 'task.run_claimed' ? e.payload.claimed_by.kind : '');
    assert.equal(claimer(event), 'human');
    assert.ok(misplaced && mismatched);
  });

  test('the scenarios produce every catalogued type, or the allow-list says why not', (ctx) => {
    // Run alone (a name filter), there is nothing to judge.
    if (produced.size === 0) return ctx.skip('no scenario ran');
    const missing = Object.keys(EVENT_CATALOGUE).filter(
      (type) => !produced.has(type) && !NOT_PRODUCED.has(type as EventType),
    );
    assert.deepEqual(missing, [], `no scenario produces: ${missing.join(', ')}`);
    for (const type of NOT_PRODUCED.keys()) {
      assert.ok(!produced.has(type), `${type} is produced now; take it off the allow-list`);
    }
  });
});
