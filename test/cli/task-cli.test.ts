// `agh task …` for operators, end to end: the real CLI against a real foreground daemon, each in its
// own process (the setting: test/helpers/task-cli.ts). The agent side is in task-agent-cli.test.ts,
// the scheduler and usage errors in scheduler-cli.test.ts: separate files run side by side.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Run, type Task, taskCliSuite } from '../helpers/task-cli.ts';

describe('agh task (CLI against a real daemon)', () => {
  const s = taskCliSuite();
  const { agh, explain, aghJson, aghOk, create, show } = s;

  test('create: in a workspace by name, global, from a directory inside a workspace, with --agent', async () => {
    const inWs = await create(['in proj', '--workspace', 'proj']);
    assert.match(inWs.id, /^task-[0-9a-f]{16}$/);
    assert.equal(inWs.scope, 'workspace');
    assert.equal(inWs.workspace_id, s.workspaceId);
    assert.equal(inWs.status, 'ready');

    const global = await agh(['task', 'create', 'everywhere', '--global']);
    assert.equal(global.code, 0, explain(['task', 'create', '--global'], global));
    assert.match(global.stdout, /^created task task-[0-9a-f]{16} "everywhere" \(ready\)\n$/);

    mkdirSync(join(s.root, 'src', 'deep'), { recursive: true });
    const here = await create(['from inside'], { cwd: join(s.root, 'src', 'deep') });
    assert.equal(here.scope, 'workspace');
    assert.equal(here.workspace_id, s.workspaceId);

    // The tests run in the system temporary directory, which no workspace holds.
    const nowhere = await agh(['task', 'create', 'from nowhere', '-o', 'json']);
    assert.equal(nowhere.code, 0, explain(['task', 'create'], nowhere));
    assert.equal(JSON.parse(nowhere.stdout).task.scope, 'global');
    assert.match(nowhere.stderr, /no registered workspace holds .*: the task is global/);

    const owned = await create([
      'for the worker',
      '--workspace',
      'proj',
      '--agent',
      'worker',
      '--priority',
      'high',
      '--description',
      'do the thing',
      '--max-attempts',
      '2',
      '--metadata',
      '{"ticket":42}',
    ]);
    assert.deepEqual(owned.owner, { kind: 'pool', ref: 'worker' });
    assert.equal(owned.priority, 'high');
    assert.equal(owned.max_attempts, 2);
    assert.deepEqual(owned.metadata, { ticket: 42 });
    const byOwner = await create(['owned by a human', '--global', '--owner', 'human:alice']);
    assert.deepEqual(byOwner.owner, { kind: 'human', ref: 'alice' });

    const started = await aghJson<{ task: Task; run: Run }>([
      'task',
      'create',
      'go now',
      '--global',
      '--start',
    ]);
    assert.equal(started.run.task_id, started.task.id);
    assert.equal(started.run.status, 'queued');
    const startedTable = await aghOk(['task', 'create', 'go now too', '--global', '--start']);
    assert.match(
      startedTable.stdout,
      /^created task \S+ "go now too" \(ready\)\nstarted run run-\S+ \(attempt 1, queued\)\n$/,
    );
  });

  test('list: a table and -o json, filtered by query, priority, owner, status; drafts only with --all', async () => {
    const word = `needle${Date.now()}`;
    const a = await create([`${word} one`, '--global', '--priority', 'low']);
    const b = await create([`${word} two`, '--global', '--agent', 'worker']);
    const draft = await create([`${word} draft`, '--global', '--draft']);
    assert.equal(draft.status, 'draft');

    const table = await aghOk(['task', 'list', '--query', word]);
    for (const column of ['ID', 'TITLE', 'STATUS', 'PRIORITY', 'RUN', 'ATTEMPT/MAX', 'UPDATED'])
      assert.ok(table.stdout.includes(column), `${column} missing:\n${table.stdout}`);
    const row = table.stdout.split('\n').find((l) => l.includes(a.id));
    assert.ok(row, table.stdout);
    assert.match(
      row,
      new RegExp(`${word} one .*ready .*low .*-/3 .*\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`),
    );
    assert.ok(!table.stdout.includes(draft.id), 'drafts are hidden');

    const ids = async (args: string[]) =>
      (await aghJson<{ tasks: Task[] }>(['task', 'list', '--query', word, ...args])).tasks
        .map((t) => t.id)
        .sort();
    assert.deepEqual(await ids([]), [a.id, b.id].sort());
    assert.deepEqual(await ids(['--all']), [a.id, b.id, draft.id].sort());
    assert.deepEqual(await ids(['--priority', 'low']), [a.id]);
    assert.deepEqual(await ids(['--owner', 'pool:worker']), [b.id]);
    assert.deepEqual(await ids(['--owner', 'pool']), [b.id]);
    assert.deepEqual(await ids(['--all', '--status', 'draft']), [draft.id]);
    assert.equal((await ids(['--limit', '1'])).length, 1);
    const none = await aghOk(['task', 'list', '--query', `${word}-nothing`]);
    assert.equal(none.stdout, 'no tasks match\n');
  });

  test('show prints fields, children, runs and events; tree indents the children', async () => {
    const parent = await create(['parent', '--workspace', 'proj', '--description', 'the big one']);
    const child = await create(['child', '--parent', parent.id]);
    assert.equal(child.parent_task_id, parent.id);
    assert.equal(child.scope, 'workspace', 'a subtask lives where its parent does');
    assert.equal(child.workspace_id, s.workspaceId);
    const grandchild = await create(['grandchild', '--parent', child.id]);
    const { run } = await aghJson<{ run: Run }>(['task', 'start', parent.id]);

    const res = await aghOk(['task', 'show', parent.id]);
    assert.match(res.stdout, new RegExp(`^id\\s+${parent.id}$`, 'm'));
    assert.match(res.stdout, /^title\s+parent$/m);
    assert.match(res.stdout, /^status\s+ready$/m);
    assert.match(res.stdout, new RegExp(`^scope\\s+workspace ${s.workspaceId}$`, 'm'));
    assert.match(res.stdout, /^the big one$/m);
    assert.match(res.stdout, /^children \(1\)$/m);
    assert.ok(res.stdout.includes(child.id), res.stdout);
    assert.match(res.stdout, /^runs \(1\)$/m);
    assert.match(res.stdout, new RegExp(`${run.id} .*queued .*1`));
    assert.match(res.stdout, /task\.created .*task ready/);
    assert.match(res.stdout, /task\.run_enqueued .*run queued, task ready/);
    const json = await show(parent.id);
    assert.equal(json.task.id, parent.id);
    assert.equal(json.runs[0]?.id, run.id);

    const tree = await aghOk(['task', 'tree', parent.id]);
    const lines = tree.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, tree.stdout);
    assert.match(lines[0] ?? '', new RegExp(`^${parent.id} {2}\\[ready, run queued 1/3\\] {2}parent$`));
    assert.match(lines[1] ?? '', new RegExp(`^ {2}${child.id} {2}\\[ready\\] {2}child$`));
    assert.match(lines[2] ?? '', new RegExp(`^ {4}${grandchild.id} {2}\\[ready\\] {2}grandchild$`));
    const treeJson = await aghJson(['task', 'tree', parent.id]);
    assert.equal(treeJson.tree.root.task.id, parent.id);
  });

  test('start twice gives the same run; publish a draft; approve and reject', async () => {
    const t = await create(['twice', '--global']);
    const first = await aghJson<{ run: Run }>(['task', 'start', t.id]);
    const second = await aghJson<{ run: Run }>(['task', 'start', t.id]);
    assert.equal(second.run.id, first.run.id);
    const table = await aghOk(['task', 'start', t.id]);
    assert.equal(
      table.stdout,
      `started task ${t.id} "twice" (ready)\nrun ${first.run.id} (attempt 1, queued)\n`,
    );

    const draft = await create(['draft', '--global', '--draft']);
    const published = await aghJson<{ task: Task; run: Run }>(['task', 'publish', draft.id]);
    assert.notEqual(published.task.status, 'draft');
    assert.equal(published.run.task_id, draft.id);

    const gated = await create(['needs a yes', '--global', '--approval', 'manual']);
    assert.equal(gated.status, 'blocked');
    const approved = await aghOk(['task', 'approve', gated.id, '--key', 'approve-1']);
    assert.match(
      approved.stdout,
      new RegExp(
        `^approved task ${gated.id} "needs a yes" \\(ready\\)\\nrun run-\\S+ \\(attempt 1, queued\\)\\n$`,
      ),
    );

    const refused = await create(['needs a no', '--global', '--approval', 'manual']);
    const rejected = await aghOk(['task', 'reject', refused.id]);
    assert.match(rejected.stdout, new RegExp(`^rejected task ${refused.id} "needs a no"`));
  });

  test('pause needs a reason (exit 2); pause and resume; cancel', async () => {
    const t = await create(['hold me', '--global']);
    for (const args of [
      ['task', 'pause', t.id],
      ['task', 'pause', t.id, '--reason', '  '],
    ]) {
      const res = await agh(args);
      assert.equal(res.code, 2, explain(args, res));
      assert.match(res.stderr, /a pause needs a reason: agh task pause <id> --reason <text>/);
    }
    assert.equal((await show(t.id)).task.paused, false, 'nothing was sent');

    const paused = await aghOk(['task', 'pause', t.id, '--reason', 'waiting on legal']);
    assert.equal(paused.stdout, `paused task ${t.id} "hold me" (ready (paused))\n`);
    let now = (await show(t.id)).task;
    assert.equal(now.paused, true);
    assert.equal(now.paused_reason, 'waiting on legal');
    const shown = await aghOk(['task', 'show', t.id]);
    assert.match(shown.stdout, /^paused\s+waiting on legal/m);

    const resumed = await aghJson<{ task: Task }>(['task', 'resume', t.id]);
    assert.equal(resumed.task.paused, false);

    await aghJson(['task', 'start', t.id]);
    const canceled = await aghOk(['task', 'cancel', t.id, '--reason', 'not needed']);
    assert.equal(canceled.stdout, `canceled task ${t.id} "hold me" (canceled)\n`);
    now = (await show(t.id)).task;
    assert.equal(now.status, 'canceled');
    const runs = await aghJson<{ runs: Run[] }>(['task', 'runs', t.id]);
    assert.equal(runs.runs[0]?.status, 'canceled');
  });

  test('runs and timeline', async () => {
    const t = await create(['history', '--global']);
    const empty = await aghOk(['task', 'runs', t.id]);
    assert.equal(empty.stdout, `no runs yet; queue one with: agh task start ${t.id}\n`);
    const { run } = await aghJson<{ run: Run }>(['task', 'start', t.id]);

    const runs = await aghOk(['task', 'runs', t.id]);
    for (const column of ['RUN', 'STATUS', 'ATTEMPT', 'SESSION', 'QUEUED', 'ENDED', 'ERROR'])
      assert.ok(runs.stdout.includes(column), `${column} missing:\n${runs.stdout}`);
    assert.match(runs.stdout, new RegExp(`${run.id} .*queued .*1 `));
    assert.deepEqual(
      (await aghJson<{ runs: Run[] }>(['task', 'runs', t.id])).runs.map((r) => r.id),
      [run.id],
    );

    const timeline = await aghOk(['task', 'timeline', t.id]);
    const lines = timeline.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, timeline.stdout);
    assert.match(lines[0] ?? '', /^ +\d+ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}task\.created +- +task ready$/);
    assert.match(
      lines[1] ?? '',
      new RegExp(`^ +\\d+  .*task\\.run_enqueued +${run.id} +run queued, task ready$`),
    );

    const json = await aghJson<{ timeline: { sequence: number; event_type: string }[] }>([
      'task',
      'timeline',
      t.id,
    ]);
    assert.deepEqual(
      json.timeline.map((e) => e.event_type),
      ['task.created', 'task.run_enqueued'],
    );
    const first = json.timeline[0]!.sequence;
    const later = await aghJson(['task', 'timeline', t.id, '--after', String(first)]);
    assert.deepEqual(
      later.timeline.map((e: { event_type: string }) => e.event_type),
      ['task.run_enqueued'],
    );
    const limited = await aghJson(['task', 'timeline', t.id, '--limit', '1']);
    assert.equal(limited.timeline.length, 1);
  });
});
