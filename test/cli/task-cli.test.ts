// `agh task …` and `agh scheduler …` end to end: the real CLI against a real foreground daemon, each
// in its own process. The dispatcher is off, so queued runs wait for the sessions the tests start
// themselves (the fake process agent, a real process that stays up).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from '../helpers/agents.ts';
import { cliFor } from '../helpers/cli.ts';
import {
  DEFAULT_TIMEOUT_MS,
  type ForegroundDaemon,
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
  withDeadline,
} from '../helpers/daemon-process.ts';

interface Task {
  id: string;
  title: string;
  status: string;
  scope: string;
  workspace_id?: string;
  priority?: string;
  owner?: { kind: string; ref: string } | null;
  max_attempts?: number;
  metadata?: unknown;
  paused?: boolean;
  paused_reason?: string;
  parent_task_id?: string;
  draft?: boolean;
}

interface Run {
  id: string;
  task_id: string;
  status: string;
  attempt: number;
  result?: unknown;
  error?: string;
}

describe('agh task and agh scheduler (CLI against a real daemon)', () => {
  let home: string;
  let daemon: ForegroundDaemon;
  /** A registered workspace "proj" with the fake process agent "worker". */
  let root: string;
  let workspaceId: string;
  /** Where the worker writes what the daemon gave it (its session token among others). */
  let workerReport: string;

  before(async () => {
    home = tempHome();
    writeFileSync(join(home, 'config.toml'), '[dispatcher]\nenabled = false\n');
    daemon = await startForegroundDaemon(home);
    root = realpathSync(tempDir());
    workerReport = join(root, '.worker-report.json');
    putAgent(root, 'worker', {
      provider: 'process',
      command: fixtureCommand(FAKE_PROCESS_AGENT, `--out=${workerReport}`),
    });
    workspaceId = (await aghJson(['workspace', 'add', root, '--name', 'proj'])).workspace.id;
  });

  after(async () => {
    try {
      killRunning();
      await daemon?.stop();
    } finally {
      killStarted();
      removeTempDirs();
    }
  });

  const { agh, explain, aghJson, aghOk, start, killRunning } = cliFor(() => home);

  const create = async (args: string[], options: { cwd?: string } = {}) =>
    (await aghJson<{ task: Task; run?: Run }>(['task', 'create', ...args], options)).task;

  const show = async (id: string) =>
    (await aghJson<{ task: { task: Task; runs: Run[] } }>(['task', 'show', id])).task;

  /** The worker session (started once) and its own token. */
  let worker: { id: string; token: string; as: string[] } | undefined;
  async function workerSession() {
    if (worker) return worker;
    const { session } = await aghJson(['session', 'new', '--workspace', 'proj', '--agent', 'worker']);
    assert.equal(session.state, 'active');
    await eventually(() => existsSync(workerReport), 'the worker to write its report');
    const token = JSON.parse(readFileSync(workerReport, 'utf8')).token as string;
    worker = {
      id: session.id as string,
      token,
      as: ['--session', session.id as string, '--agent', 'worker'],
    };
    return worker;
  }

  /** `task next` as the worker, for urgent work only (so other tests' queued runs stay put). */
  async function claim(): Promise<{ task: Task; run: Run }> {
    const w = await workerSession();
    const { claim } = await aghJson(['task', 'next', ...w.as, '--priority-min', 'urgent']);
    return claim;
  }

  test('create: in a workspace by name, global, from a directory inside a workspace, with --agent', async () => {
    const inWs = await create(['in proj', '--workspace', 'proj']);
    assert.match(inWs.id, /^task-[0-9a-f]{16}$/);
    assert.equal(inWs.scope, 'workspace');
    assert.equal(inWs.workspace_id, workspaceId);
    assert.equal(inWs.status, 'ready');

    const global = await agh(['task', 'create', 'everywhere', '--global']);
    assert.equal(global.code, 0, explain(['task', 'create', '--global'], global));
    assert.match(global.stdout, /^created task task-[0-9a-f]{16} "everywhere" \(ready\)\n$/);

    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    const here = await create(['from inside'], { cwd: join(root, 'src', 'deep') });
    assert.equal(here.scope, 'workspace');
    assert.equal(here.workspace_id, workspaceId);

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
    assert.equal(child.workspace_id, workspaceId);
    const grandchild = await create(['grandchild', '--parent', child.id]);
    const { run } = await aghJson<{ run: Run }>(['task', 'start', parent.id]);

    const res = await aghOk(['task', 'show', parent.id]);
    assert.match(res.stdout, new RegExp(`^id\\s+${parent.id}$`, 'm'));
    assert.match(res.stdout, /^title\s+parent$/m);
    assert.match(res.stdout, /^status\s+ready$/m);
    assert.match(res.stdout, new RegExp(`^scope\\s+workspace ${workspaceId}$`, 'm'));
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
    const inside = { AGH_SESSION_TOKEN: w.token, AGH_API_URL: daemon.url };
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
    const polls = () => daemon.stdout().split('\n').filter(isClaimNextRequest).length;
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
    const token = readFileSync(join(home, 'operator.token'), 'utf8').trim();
    const probe = new AbortController();
    const answer = await fetch(`${daemon.url}/api/tasks/${task.id}/stream`, {
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

  test('daemon errors print the message (and what to try) and exit 1; a stale session identity exits 4', async () => {
    const missing = await agh(['task', 'show', 'task-nope']);
    assert.equal(missing.code, 1, explain(['task', 'show'], missing));
    assert.match(missing.stderr, /^error: task "task-nope" not found$/m);
    assert.match(missing.stderr, /^try: agh task list$/m);

    const stale = await agh(['task', 'next', '--session', 'sess-0000000000000000', '--agent', 'worker']);
    assert.equal(stale.code, 4, explain(['task', 'next'], stale));
    assert.match(stale.stderr, /agent session sess-0000000000000000 is not known to the daemon/);

    const wrongToken = await agh(['task', 'next'], {
      env: { AGH_SESSION_TOKEN: 'nope', AGH_API_URL: daemon.url },
    });
    assert.equal(wrongToken.code, 4, explain(['task', 'next'], wrongToken));
    assert.match(wrongToken.stderr, /rejected the session token \(AGH_SESSION_TOKEN\)/);
  });
});

/** A daemon log line for an incoming claim-next request (Fastify logs each request as it arrives). */
function isClaimNextRequest(line: string): boolean {
  return line.includes('"msg":"incoming request"') && line.includes('"url":"/api/agent/tasks/claim-next"');
}
