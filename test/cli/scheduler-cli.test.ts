// `agh scheduler …` end to end, and bad usage of `agh task` and `agh scheduler` (exit 2 before anything
// is sent); the real CLI against a real foreground daemon (the setting: test/helpers/task-cli.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Task, taskCliSuite } from '../helpers/task-cli.ts';

describe('agh scheduler, and bad usage (CLI against a real daemon)', () => {
  const s = taskCliSuite();
  const { agh, explain, aghJson, aghOk, create } = s;

  test('scheduler status, pause, resume, backlog and drain', async () => {
    const status = await aghJson(['scheduler', 'status']);
    assert.equal(status.scheduler.paused, false);
    const table = await aghOk(['scheduler', 'status']);
    assert.match(table.stdout, /^paused\s+no$/m);
    assert.match(table.stdout, /^queued runs\s+\d+$/m);
    assert.match(table.stdout, /^claims in flight\s+0$/m);

    const paused = await aghOk(['scheduler', 'pause', '--reason', 'maintenance']);
    assert.match(paused.stdout, /^scheduler paused\npaused\s+yes since .*$/m);
    assert.match(paused.stdout, /^reason\s+maintenance$/m);
    assert.equal((await aghJson(['scheduler', 'status'])).scheduler.paused_reason, 'maintenance');
    const resumed = await aghJson(['scheduler', 'resume']);
    assert.equal(resumed.scheduler.paused, false);

    const t = await create(['in the backlog', '--workspace', 'proj', '--start']);
    const backlog = await aghJson(['scheduler', 'backlog', '--workspace', 'proj']);
    const entry = backlog.backlog.runs.find((r: { task: Task }) => r.task.id === t.id);
    assert.ok(entry, JSON.stringify(backlog));
    assert.equal(entry.run.status, 'queued');
    assert.ok(backlog.backlog.total >= 1);
    const backlogTable = await aghOk(['scheduler', 'backlog', '--workspace', 'proj']);
    for (const column of ['RUN', 'TASK', 'TITLE', 'PRIORITY', 'ATTEMPT', 'QUEUED'])
      assert.ok(backlogTable.stdout.includes(column), `${column} missing:\n${backlogTable.stdout}`);
    assert.ok(backlogTable.stdout.includes(t.id), backlogTable.stdout);
    assert.equal((await aghJson(['scheduler', 'backlog', '--limit', '1'])).backlog.runs.length, 1);

    const drain = await agh(['scheduler', 'drain', '--timeout', '5', '--reason', 'upgrade']);
    assert.equal(drain.code, 0, explain(['scheduler', 'drain'], drain));
    assert.equal(drain.stderr, 'draining: 0 claims in flight…\n');
    assert.match(drain.stdout, /^drained: no claims in flight; the scheduler stays paused$/m);
    const after = await aghJson(['scheduler', 'status']);
    assert.equal(after.scheduler.paused, true);
    assert.equal(after.scheduler.paused_reason, 'upgrade');
    const drainJson = await aghJson(['scheduler', 'drain', '--timeout', '0']);
    assert.equal(drainJson.completed, true);
    assert.equal(drainJson.remaining_claims, 0);
    assert.equal((await aghJson(['scheduler', 'resume'])).scheduler.paused, false);
  });

  test('bad usage exits 2 before anything is sent', async () => {
    const as = ['--session', 'sess-0000000000000000', '--agent', 'worker'];
    const cases: [string[], RegExp][] = [
      [['task', 'create'], /missing required argument 'title'/],
      [['task', 'create', 'x', '--workspace', 'proj', '--global'], /either --workspace or --global/],
      [['task', 'create', 'x', '--agent', 'a', '--owner', 'pool:b'], /either --agent or --owner/],
      [['task', 'create', 'x', '--owner', 'robot:r2'], /kind:ref/],
      [['task', 'create', 'x', '--metadata', '{nope'], /expected JSON/],
      [['task', 'create', 'x', '--priority', 'asap'], /asap/],
      [['task', 'create', 'x', '--max-attempts', '0'], /above 0/],
      [['task', 'list', '--status', 'sleepy'], /sleepy/],
      [['task', 'timeline', 'task-x', '--after', '-1'], /whole number/],
      [['task', 'next', ...as, '--priority-min', 'asap'], /low, medium, high, urgent/],
      [['task', 'complete', 'run-x'], /needs --session <id> and --agent <name>/],
      [['scheduler', 'drain', '--timeout', 'soon'], /whole number/],
      [['task', 'show', 'task-x', '-o', 'yaml'], /yaml/],
    ];
    for (const [args, message] of cases) {
      const res = await agh(args);
      assert.equal(res.code, 2, explain(args, res));
      assert.match(res.stderr, message);
    }
  });
});
