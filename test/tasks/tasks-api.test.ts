// The tasks API (tasks.md §1, §2): records, lifecycle, dependencies, tree and timeline; on SQLite and
// on PostgreSQL.
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { scratchDir, type TestApp } from '../helpers/app.ts';
import { forEachDialect, startTestAppOn } from '../helpers/dialects.ts';

forEachDialect('tasks API: records, lifecycle, dependencies, tree and timeline', (ctx) => {
  let t: TestApp;
  let ws: string;
  before(async () => {
    t = await startTestAppOn(ctx);
    const root = realpathSync(scratchDir());
    ws = (await t.api.post('/api/workspaces', { body: { root_dir: root, name: 'taskland' } })).body.workspace
      .id;
  });
  after(() => t.close());

  const create = async (body: Record<string, unknown>) => {
    const reply = await t.api.post('/api/tasks', { body: { scope: 'global', title: 'a task', ...body } });
    assert.equal(reply.status, 201, reply.text);
    return reply.body.task;
  };

  test('create: defaults, workspace by name, drafts and approval gates', async () => {
    const plain = await create({ title: '  Write the report  ' });
    assert.match(plain.id, /^task-[0-9a-f]{16}$/);
    assert.equal(plain.title, 'Write the report');
    assert.equal(plain.status, 'ready');
    assert.equal(plain.priority, 'medium');
    assert.equal(plain.max_attempts, 3);
    assert.equal(plain.approval_policy, 'none');
    assert.equal(plain.approval_state, 'not_required');
    assert.deepEqual(plain.created_by, { kind: 'human', ref: 'local-user' });
    assert.deepEqual(plain.origin, { kind: 'http', ref: 'tasks.create' });
    assert.ok(plain.latest_event_seq > 0);

    const scoped = await create({ scope: 'workspace', workspace: 'taskland' });
    assert.equal(scoped.workspace_id, ws);
    assert.equal((await create({ draft: true })).status, 'draft');
    const gated = await create({ approval_policy: 'manual' });
    assert.equal(gated.status, 'blocked');
    assert.equal(gated.approval_state, 'pending');
  });

  test('create: every bad input is a 4xx that writes nothing', async () => {
    const before = (await t.api.get('/api/tasks?include_drafts=true')).body.tasks.length;
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ title: '   ' }, 422, /title/],
      [{ scope: 'workspace' }, 422, /workspace/],
      [{ workspace: 'taskland' }, 422, /global task takes no workspace/],
      [{ scope: 'workspace', workspace: 'nowhere' }, 404, /workspace/],
      [{ max_attempts: 11 }, 422, /max_attempts/],
      [{ max_attempts: 0 }, 422, /max_attempts/],
      [{ network_channel: 'Bad Channel' }, 422, /network_channel/],
      [{ owner: { kind: 'pool', ref: ' ' } }, 422, /owner/],
      [{ priority: 'asap' }, 422, /priority/],
      [{ metadata: { blob: 'x'.repeat(17 * 1024) } }, 413, /metadata/],
      [{ metadata: { nested: { Claim_Token: 'x' } } }, 422, /claim_token/],
      [{ unknown_field: 1 }, 422, /unknown/],
    ];
    for (const [body, status, message] of cases) {
      const reply = await t.api.post('/api/tasks', { body: { scope: 'global', title: 't', ...body } });
      assert.equal(reply.status, status, `${JSON.stringify(body)} → ${reply.text}`);
      assert.match(reply.body.error, message);
    }
    const dup = await create({ id: 'my-task-1' });
    const again = await t.api.post('/api/tasks', { body: { scope: 'global', title: 't', id: dup.id } });
    assert.equal(again.status, 409);
    const after = (await t.api.get('/api/tasks?include_drafts=true')).body.tasks.length;
    assert.equal(after, before + 1);
  });

  test('start queues one run; a repeat replays it; enqueue refuses a second open run', async () => {
    const task = await create({ title: 'start me' });
    const first = await t.api.post(`/api/tasks/${task.id}/start`, { body: {} });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.run.status, 'queued');
    assert.equal(first.body.run.attempt, 1);
    assert.equal(first.body.task.status, 'ready');
    const again = await t.api.post(`/api/tasks/${task.id}/start`);
    assert.equal(again.status, 201);
    assert.equal(again.body.run.id, first.body.run.id);
    const enqueue = await t.api.post(`/api/tasks/${task.id}/runs`, { body: {} });
    assert.equal(enqueue.status, 409);
    assert.match(enqueue.body.error, /open run/);
    const runs = await t.api.get(`/api/tasks/${task.id}/runs`);
    assert.equal(runs.body.runs.length, 1);
  });

  test('enqueue with an idempotency key: a repeat returns the same run; a key of another task is refused', async () => {
    const task = await create({ title: 'keyed', max_attempts: 5 });
    const first = await t.api.post(`/api/tasks/${task.id}/runs`, { body: { idempotency_key: 'nightly-42' } });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.run.idempotency_key, 'nightly-42');
    const again = await t.api.post(`/api/tasks/${task.id}/runs`, { body: { idempotency_key: 'nightly-42' } });
    assert.equal(again.status, 201);
    assert.equal(again.body.run.id, first.body.run.id);
    const other = await create({ title: 'other' });
    const stolen = await t.api.post(`/api/tasks/${other.id}/runs`, {
      body: { idempotency_key: 'nightly-42' },
    });
    assert.equal(stolen.status, 422);
    assert.match(stolen.body.error, /already belongs to task/);
    const runs = (await t.api.get(`/api/tasks/${task.id}/runs`)).body.runs;
    assert.equal(runs.length, 1);
    const enqueued = (await t.api.get(`/api/tasks/${task.id}/timeline`)).body.timeline.filter(
      (e: any) => e.event_type === 'task.run_enqueued',
    );
    assert.equal(enqueued.length, 1, 'a replay writes no event');
  });

  test('publish: only drafts, never while blocked, idempotent', async () => {
    const draft = await create({ draft: true });
    const published = await t.api.post(`/api/tasks/${draft.id}/publish`, { body: {} });
    assert.equal(published.status, 200, published.text);
    assert.equal(published.body.task.status, 'ready');
    assert.equal(published.body.run.status, 'queued');
    const replay = await t.api.post(`/api/tasks/${draft.id}/publish`, { body: {} });
    assert.equal(replay.body.run.id, published.body.run.id);
    const fresh = await t.api.post(`/api/tasks/${draft.id}/publish`, { body: { idempotency_key: 'other' } });
    assert.equal(fresh.status, 409);

    const gatedDraft = await create({ draft: true, approval_policy: 'manual' });
    const blocked = await t.api.post(`/api/tasks/${gatedDraft.id}/publish`, { body: {} });
    assert.equal(blocked.status, 409);
    const still = await t.api.get(`/api/tasks/${gatedDraft.id}`);
    assert.equal(still.body.task.task.status, 'draft');
  });

  test('approve queues work once; reject is final', async () => {
    const gated = await create({ approval_policy: 'manual' });
    const start = await t.api.post(`/api/tasks/${gated.id}/start`, { body: {} });
    assert.equal(start.status, 409);
    const approved = await t.api.post(`/api/tasks/${gated.id}/approve`);
    assert.equal(approved.status, 201, approved.text);
    assert.equal(approved.body.task.approval_state, 'approved');
    assert.equal(approved.body.task.status, 'ready');
    const replay = await t.api.post(`/api/tasks/${gated.id}/approve`, { body: {} });
    assert.equal(replay.status, 201);
    assert.equal(replay.body.run.id, approved.body.run.id);

    const other = await create({ approval_policy: 'manual' });
    const rejected = await t.api.post(`/api/tasks/${other.id}/reject`);
    assert.equal(rejected.status, 200);
    assert.equal(rejected.body.task.approval_state, 'rejected');
    assert.equal(rejected.body.task.status, 'blocked');
    assert.equal((await t.api.post(`/api/tasks/${other.id}/approve`)).status, 409);
    assert.equal((await t.api.post(`/api/tasks/${other.id}/reject`)).status, 409);
  });

  test('dependencies block until completed; cycles, self-edges and duplicates are refused', async () => {
    const a = await create({ title: 'a' });
    const b = await create({ title: 'b' });
    const added = await t.api.post(`/api/tasks/${b.id}/dependencies`, { body: { depends_on_task_id: a.id } });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.task.task.status, 'blocked');
    assert.equal(added.body.task.dependency_references[0].depends_on.id, a.id);
    assert.equal(
      (await t.api.post(`/api/tasks/${a.id}/dependencies`, { body: { depends_on_task_id: b.id } })).status,
      409,
    );
    assert.equal(
      (await t.api.post(`/api/tasks/${a.id}/dependencies`, { body: { depends_on_task_id: a.id } })).status,
      422,
    );
    assert.equal(
      (await t.api.post(`/api/tasks/${b.id}/dependencies`, { body: { depends_on_task_id: a.id } })).status,
      409,
    );
    assert.equal(
      (await t.api.post(`/api/tasks/${b.id}/dependencies`, { body: { depends_on_task_id: 'task-nope' } }))
        .status,
      404,
    );
    assert.equal((await t.api.post(`/api/tasks/${b.id}/start`, { body: {} })).status, 409);
    const removed = await t.api.delete(`/api/tasks/${b.id}/dependencies/${a.id}`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.task.task.status, 'ready');
    assert.equal((await t.api.delete(`/api/tasks/${b.id}/dependencies/${a.id}`)).status, 404);
  });

  test('children, tree, inherited pause and cancel of a subtree', async () => {
    const root = await create({ title: 'root', scope: 'workspace', workspace: ws });
    const child = (
      await t.api.post(`/api/tasks/${root.id}/children`, {
        body: { scope: 'workspace', workspace: ws, title: 'child' },
      })
    ).body.task;
    assert.equal(child.parent_task_id, root.id);
    const wrong = await t.api.post(`/api/tasks/${root.id}/children`, {
      body: { scope: 'global', title: 'x' },
    });
    assert.equal(wrong.status, 422);
    const grandchild = (
      await t.api.post(`/api/tasks/${child.id}/children`, {
        body: { scope: 'workspace', workspace: ws, title: 'grandchild' },
      })
    ).body.task;

    const tree = await t.api.get(`/api/tasks/${root.id}/tree`);
    assert.equal(tree.status, 200);
    assert.equal(tree.body.tree.root.task.id, root.id);
    assert.equal(tree.body.tree.root.depth, 0);
    assert.equal(tree.body.tree.root.child_count, 1);
    assert.deepEqual(
      tree.body.tree.descendants.map((n: any) => [n.task.id, n.depth]),
      [
        [child.id, 1],
        [grandchild.id, 2],
      ],
    );

    assert.equal((await t.api.post(`/api/tasks/${root.id}/pause`, { body: {} })).status, 422);
    const paused = await t.api.post(`/api/tasks/${root.id}/pause`, { body: { reason: 'hold on' } });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.body.task.paused, true);
    const g = await t.api.get(`/api/tasks/${grandchild.id}`);
    assert.equal(g.body.task.task.effective_paused, true);
    assert.equal(g.body.task.task.paused_by_task_id, root.id);
    await t.api.post(`/api/tasks/${child.id}/resume`);
    assert.equal((await t.api.get(`/api/tasks/${grandchild.id}`)).body.task.task.paused_by_task_id, root.id);
    await t.api.post(`/api/tasks/${root.id}/resume`, { body: {} });
    assert.equal((await t.api.get(`/api/tasks/${grandchild.id}`)).body.task.task.effective_paused, false);

    await t.api.post(`/api/tasks/${child.id}/start`, { body: {} });
    assert.equal((await t.api.delete(`/api/tasks/${root.id}`)).status, 400);
    const canceled = await t.api.post(`/api/tasks/${root.id}/cancel`, {
      body: { reason: 'no longer needed' },
    });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.task.status, 'canceled');
    const c = (await t.api.get(`/api/tasks/${child.id}`)).body.task;
    assert.equal(c.task.status, 'canceled');
    assert.equal(c.runs[0].status, 'canceled');
    const cancelEvent = c.events.find((e: any) => e.event_type === 'task.canceled');
    assert.equal(cancelEvent.payload.propagated_from_task_id, root.id);
    assert.equal((await t.api.post(`/api/tasks/${root.id}/cancel`)).status, 200);
    assert.equal(
      (await t.api.post(`/api/tasks/${child.id}/start`, { body: { idempotency_key: 'again' } })).status,
      409,
    );
  });

  test('timeline: global sequence, paging by after_sequence', async () => {
    const task = await create({ title: 'history' });
    await t.api.patch(`/api/tasks/${task.id}`, { body: { priority: 'high' } });
    await t.api.post(`/api/tasks/${task.id}/start`, { body: {} });
    const all = await t.api.get(`/api/tasks/${task.id}/timeline`);
    assert.equal(all.status, 200);
    const types = all.body.timeline.map((e: any) => e.event_type);
    assert.deepEqual(types, ['task.created', 'task.updated', 'task.run_enqueued']);
    const seqs = all.body.timeline.map((e: any) => e.sequence);
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      seqs,
    );
    const page = await t.api.get(`/api/tasks/${task.id}/timeline?after_sequence=${seqs[0]}&limit=1`);
    assert.deepEqual(
      page.body.timeline.map((e: any) => e.sequence),
      [seqs[1]],
    );
    assert.equal((await t.api.get(`/api/tasks/${task.id}/timeline?limit=-1`)).status, 422);
    const detail = await t.api.get(`/api/tasks/${task.id}`);
    assert.equal(detail.body.task.task.latest_event_seq, seqs[2]);
    assert.equal(detail.body.task.task.priority, 'high');
  });

  test('patch: no-op without event, empty patch refused, policy change resets approval', async () => {
    const task = await create({ title: 'edit me' });
    assert.equal((await t.api.patch(`/api/tasks/${task.id}`, { body: {} })).status, 422);
    const same = await t.api.patch(`/api/tasks/${task.id}`, { body: { title: 'edit me' } });
    assert.equal(same.status, 200);
    assert.equal(same.body.task.latest_event_seq, task.latest_event_seq);
    const gated = await t.api.patch(`/api/tasks/${task.id}`, { body: { approval_policy: 'manual' } });
    assert.equal(gated.body.task.status, 'blocked');
    assert.equal(gated.body.task.approval_state, 'pending');
    assert.equal((await t.api.patch(`/api/tasks/task-missing`, { body: { title: 'x' } })).status, 404);
  });

  test('NUL characters are refused before they reach the store', async () => {
    const reply = await t.api.post('/api/tasks', { body: { scope: 'global', title: 'a\u0000b' } });
    assert.equal(reply.status, 400);
    assert.match(reply.body.error, /NUL/);
    assert.equal((await t.api.get('/api/tasks/a%00b')).status, 400);
  });

  test('deleting a blocker unblocks its dependents and says so on their timelines', async () => {
    const blocker = await create({ title: 'blocker' });
    const dependent = await create({ title: 'dependent' });
    await t.api.post(`/api/tasks/${dependent.id}/dependencies`, { body: { depends_on_task_id: blocker.id } });
    assert.equal((await t.api.delete(`/api/tasks/${blocker.id}`)).status, 204);
    const detail = (await t.api.get(`/api/tasks/${dependent.id}`)).body.task;
    assert.equal(detail.task.status, 'ready');
    assert.equal(detail.events[0].event_type, 'task.dependency_removed');
    assert.equal(detail.events[0].payload.depends_on_task_id, blocker.id);
  });

  test('list filters and delete', async () => {
    const urgent = await create({ title: 'Needle in a haystack', priority: 'urgent', identifier: 'ENG-7' });
    const byQuery = await t.api.get('/api/tasks?query=needle');
    assert.deepEqual(
      byQuery.body.tasks.map((x: any) => x.id),
      [urgent.id],
    );
    assert.deepEqual(
      (await t.api.get('/api/tasks?query=eng-7')).body.tasks.map((x: any) => x.id),
      [urgent.id],
    );
    assert.ok(
      (await t.api.get('/api/tasks?priority=urgent')).body.tasks.every((x: any) => x.priority === 'urgent'),
    );
    assert.equal((await t.api.get('/api/tasks?limit=2')).body.tasks.length, 2);
    assert.equal((await t.api.get('/api/tasks?status=nope')).status, 422);
    assert.equal((await t.api.delete(`/api/tasks/${urgent.id}`)).status, 204);
    assert.equal((await t.api.get(`/api/tasks/${urgent.id}`)).status, 404);
  });
});
