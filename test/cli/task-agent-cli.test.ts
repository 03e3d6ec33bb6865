// `agh task …` inside an agent session, end to end: next, heartbeat, complete, fail, release, watch,
// and the errors a session meets; the real CLI against a real foreground daemon (the setting:
// test/helpers/task-cli.ts), with the fake process agent as the session.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually } from '../helpers/agents.ts';
import { DEFAULT_TIMEOUT_MS, withDeadline } from '../helpers/daemon-process.ts';
import { type Run, taskCliSuite } from '../helpers/task-cli.ts';

describe('agh task in an agent session (CLI against a real daemon)', () => {
  const s = taskCliSuite();
  const { agh, explain, aghJson, aghOk, start, create, show, workerSession, claim } = s;

  test('in a session: next claims, heartbeat keeps the lease, complete finishes; then nothing to claim (exit 3)', async () => {
    const w = await workerSession();
    const t = await create([
      'urgent work',
      '--workspace',
      'proj',
      '--agent',
      'worker',
      '--priority',
      'urgent',
      '--description',
      'Fix the flaky build',
      '--start',
    ]);

    const outside = await agh(['task', 'next']);
    assert.equal(outside.code, 2, explain(['task', 'next'], outside));
    assert.match(
      outside.stderr,
      /runs inside an agent session \(AGH_SESSION_TOKEN\), or needs --session <id> and --agent <name>/,
    );

    const claimed = await aghOk([
      'task',
      'next',
      ...w.as,
      '--priority-min',
      'urgent',
      '--lease-seconds',
      '60',
    ]);
    assert.match(claimed.stdout, /\n\nurgent work\n\nFix the flaky build\n$/, 'the brief follows the claim');
    const lines = claimed.stdout.split('\n');
    const runId = /^run\s+(run-[0-9a-f]{16})$/.exec(lines[0] ?? '')?.[1];
    assert.ok(runId, `the run comes first:\n${claimed.stdout}`);
    assert.match(claimed.stdout, new RegExp(`^task\\s+${t.id}$`, 'm'));
    assert.match(claimed.stdout, /^title\s+urgent work$/m);
    assert.match(claimed.stdout, /^attempt\s+1$/m);
    assert.match(claimed.stdout, /^lease until\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);

    // Inside the session itself: its own token and the API URL the daemon gave it.
    const inside = { AGH_SESSION_TOKEN: w.token, AGH_API_URL: s.daemon.url };
    const beat = await aghOk(['task', 'heartbeat', runId, '--lease-seconds', '120'], { env: inside });
    assert.match(beat.stdout, new RegExp(`^lease on run ${runId} holds until \\d{4}-`));
    const beatJson = await aghJson(['task', 'heartbeat', runId, ...w.as]);
    assert.equal(beatJson.lease.run_id, runId);

    const done = await aghOk(['task', 'complete', runId, ...w.as, '--result', '{"ok":true}']);
    assert.equal(done.stdout, `completed run ${runId} of task ${t.id}\n`);
    const runs = await aghJson<{ runs: Run[] }>(['task', 'runs', t.id]);
    assert.equal(runs.runs[0]?.status, 'completed');
    assert.deepEqual(runs.runs[0]?.result, { ok: true });
    assert.equal((await show(t.id)).task.status, 'completed');

    const again = await agh(['task', 'next', ...w.as, '--priority-min', 'urgent']);
    assert.equal(again.code, 3, explain(['task', 'next'], again));
    assert.equal(again.stderr, 'nothing to claim\n');
    assert.equal(again.stdout, '');

    // Watching a task that has finished prints its events and exits at once.
    const watched = await aghOk(['task', 'watch', t.id]);
    const watchLines = watched.stdout.trimEnd().split('\n');
    assert.match(watched.stdout, /task\.run_claimed/);
    assert.match(watched.stdout, /task\.run_completed .*run completed, task completed, result \{"ok":true\}/);
    assert.equal(watchLines.at(-1), `task ${t.id} completed`);
  });

  test('in a session: fail needs --error, fails the run; release hands it back; text results stay text', async () => {
    const w = await workerSession();
    const once = await create([
      'fails once',
      '--global',
      '--priority',
      'urgent',
      '--max-attempts',
      '1',
      '--start',
    ]);
    const first = await claim();
    assert.equal(first.task.id, once.id);

    const bare = await agh(['task', 'fail', first.run.id, ...w.as]);
    assert.equal(bare.code, 2, explain(['task', 'fail'], bare));
    assert.match(bare.stderr, /say what went wrong: agh task fail <run> --error <text>/);
    const failed = await aghOk(['task', 'fail', first.run.id, ...w.as, '--error', 'disk full']);
    assert.equal(failed.stdout, `failed run ${first.run.id} of task ${once.id}: disk full\n`);
    const detail = await show(once.id);
    assert.equal(detail.task.status, 'failed');
    assert.equal(detail.runs[0]?.error, 'disk full');
    const watched = await agh(['task', 'watch', once.id]);
    assert.equal(watched.code, 1, explain(['task', 'watch'], watched));
    assert.equal(watched.stdout.trimEnd().split('\n').at(-1), `task ${once.id} failed`);

    const back = await create(['handed back', '--global', '--priority', 'urgent', '--start']);
    const second = await claim();
    assert.equal(second.task.id, back.id);
    const released = await aghOk(['task', 'release', second.run.id, ...w.as, '--reason', 'not mine']);
    assert.equal(released.stdout, `released run ${second.run.id} back to the queue\n`);
    const requeued = await aghJson<{ runs: Run[] }>(['task', 'runs', back.id]);
    assert.equal(requeued.runs[0]?.status, 'queued');

    const third = await claim();
    assert.equal(third.run.id, second.run.id, 'the same run, claimed again');
    await aghOk(['task', 'complete', third.run.id, ...w.as, '--result', 'all good']);
    const finished = await aghJson<{ runs: Run[] }>(['task', 'runs', back.id]);
    assert.equal(finished.runs[0]?.result, 'all good');
  });

  test('next --wait holds until there is work, then claims it', async () => {
    const w = await workerSession();
    const polls = () => s.daemon.stdout().split('\n').filter(isClaimNextRequest).length;
    const before = polls();
    const waiter = start(['task', 'next', ...w.as, '--wait', '--priority-min', 'urgent', '-o', 'json']);
    // Work is created only once the daemon has the long poll. A CLI that did not ask to wait is told
    // "nothing to claim" at once and exits 3, which the status check below catches.
    await eventually(() => polls() > before, 'the daemon to log the long poll');
    assert.equal(waiter.child.exitCode, null, `it waits:\n${waiter.stdout()}\n${waiter.stderr()}`);
    const t = await create(['arrives later', '--global', '--priority', 'urgent', '--start']);
    const status = await withDeadline(
      waiter.exited,
      DEFAULT_TIMEOUT_MS,
      () => `agh task next --wait did not exit\nstdout:\n${waiter.stdout()}\nstderr:\n${waiter.stderr()}`,
    );
    assert.equal(status.code, 0, waiter.stderr());
    const { claim: claimed } = JSON.parse(waiter.stdout());
    assert.equal(claimed.task.id, t.id);
    await aghOk(['task', 'complete', claimed.run.id, ...w.as]);
  });

  test('watch follows the stream until the task completes, then exits 0', async (t) => {
    const w = await workerSession();
    const task = await create([
      'watched',
      '--workspace',
      'proj',
      '--agent',
      'worker',
      '--priority',
      'urgent',
      '--start',
    ]);
    const token = readFileSync(join(s.home, 'operator.token'), 'utf8').trim();
    const probe = new AbortController();
    const answer = await fetch(`${s.daemon.url}/api/tasks/${task.id}/stream`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: probe.signal,
    });
    probe.abort();
    if (answer.status === 501) {
      await aghOk(['task', 'cancel', task.id]);
      t.skip('stream not built yet');
      return;
    }

    const child = await create(['watched child', '--parent', task.id]);
    const watcher = start(['task', 'watch', task.id]);
    await eventually(
      () => watcher.stdout().includes('task.run_enqueued'),
      'the watcher to print the backlog',
    );
    const claimed = await claim();
    assert.equal(claimed.task.id, task.id);
    await eventually(() => watcher.stdout().includes('task.run_claimed'), 'the watcher to print the claim');
    await aghOk(['task', 'complete', claimed.run.id, ...w.as]);

    const status = await withDeadline(
      watcher.exited,
      DEFAULT_TIMEOUT_MS,
      () => `agh task watch did not exit\nstdout:\n${watcher.stdout()}\nstderr:\n${watcher.stderr()}`,
    );
    assert.equal(status.code, 0, watcher.stderr());
    const lines = watcher.stdout().trimEnd().split('\n');
    assert.deepEqual(
      lines.slice(0, -1).map((l) => l.trim().split(/\s+/)[3]),
      [
        'task.created',
        'task.run_enqueued',
        'task.created',
        'task.child_created',
        'task.run_claimed',
        'task.run_completed',
      ],
    );
    assert.ok(lines[2]?.includes(`${child.id}: task ready`), 'a subtask event names its task');
    assert.equal(lines.at(-1), `task ${task.id} completed`);
    assert.equal(watcher.stderr(), '');
  });

  test('daemon errors print the message (and what to try) and exit 1; a stale session identity exits 4', async () => {
    const missing = await agh(['task', 'show', 'task-nope']);
    assert.equal(missing.code, 1, explain(['task', 'show'], missing));
    assert.match(missing.stderr, /^error: task "task-nope" not found$/m);
    assert.match(missing.stderr, /^try: agh task list$/m);

    const stale = await agh(['task', 'next', '--session', 'sess-0000000000000000', '--agent', 'worker']);
    assert.equal(stale.code, 4, explain(['task', 'next'], stale));
    assert.match(stale.stderr, /agent session sess-0000000000000000 is not known to the daemon/);

    const wrongToken = await agh(['task', 'next'], {
      env: { AGH_SESSION_TOKEN: 'nope', AGH_API_URL: s.daemon.url },
    });
    assert.equal(wrongToken.code, 4, explain(['task', 'next'], wrongToken));
    assert.match(wrongToken.stderr, /rejected the session token \(AGH_SESSION_TOKEN\)/);
  });
});

/** A daemon log line for an incoming claim-next request (Fastify logs each request as it arrives). */
function isClaimNextRequest(line: string): boolean {
  return line.includes('"msg":"incoming request"') && line.includes('"url":"/api/agent/tasks/claim-next"');
}
