// `agh run …` end to end: the real CLI against a real foreground daemon, on real runs. The dispatcher
// is off, so a queued run waits for the worker session the tests start (the fake process agent) and
// claim as that session. A second daemon whose scheduler escalates starving runs at once gives a run
// that needs attention, for `run recover`.
import assert from 'node:assert/strict';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, FAKE_PROCESS_AGENT, fixtureCommand, putAgent } from '../helpers/agents.ts';
import { cliFor } from '../helpers/cli.ts';
import {
  type ForegroundDaemon,
  killStarted,
  removeTempDirs,
  startForegroundDaemon,
  tempDir,
  tempHome,
} from '../helpers/daemon-process.ts';

interface Task {
  id: string;
  title: string;
  status: string;
}

interface Run {
  id: string;
  task_id: string;
  status: string;
  attempt: number;
  error?: string;
  session_id?: string;
  previous_run_id?: string;
}

const UNKNOWN_RUN = 'run-0000000000000000';
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';

describe('agh run (CLI against a real daemon)', () => {
  let home: string;
  let daemon: ForegroundDaemon;
  let root: string;
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
    await aghJson(['workspace', 'add', root, '--name', 'proj']);
  });

  after(async () => {
    try {
      await daemon?.stop();
    } finally {
      killStarted();
    }
  });

  const { agh, explain, aghJson, aghOk } = cliFor(() => home);

  /** A global task with its first run queued. */
  async function queued(title: string, ...args: string[]): Promise<{ task: Task; run: Run }> {
    return aghJson(['task', 'create', title, '--global', '--start', ...args]);
  }

  const runOf = async (id: string) => (await aghJson<{ run: { run: Run } }>(['run', 'show', id])).run.run;

  let worker: { id: string; as: string[] } | undefined;
  async function workerSession() {
    if (worker) return worker;
    const { session } = await aghJson(['session', 'new', '--workspace', 'proj', '--agent', 'worker']);
    assert.equal(session.state, 'active');
    await eventually(() => existsSync(workerReport), 'the worker to write its report');
    worker = { id: session.id as string, as: ['--session', session.id as string, '--agent', 'worker'] };
    return worker;
  }

  /** Claims the next urgent run as the worker (only the run being tested is urgent). */
  async function claim(): Promise<Run> {
    const w = await workerSession();
    const { claim } = await aghJson(['task', 'next', ...w.as, '--priority-min', 'urgent']);
    return claim.run as Run;
  }

  test('show and inspect a queued, then a claimed run; release takes it back from the session', async () => {
    const { task, run } = await queued('take it back', '--priority', 'urgent');

    const shown = await aghOk(['run', 'show', run.id]);
    assert.match(shown.stdout, new RegExp(`^run\\s+${run.id}$`, 'm'));
    assert.match(shown.stdout, /^status\s+queued$/m);
    assert.match(shown.stdout, /^attempt\s+1$/m);
    assert.match(shown.stdout, new RegExp(`^task\\s+${task.id} "take it back" \\(ready\\)$`, 'm'));
    assert.match(shown.stdout, /^session\s+-$/m);
    assert.match(shown.stdout, new RegExp(`^queued\\s+${TIME}$`, 'm'));
    assert.match(shown.stdout, new RegExp(`^last activity\\s+${TIME} \\(task\\.run_enqueued\\)$`, 'm'));

    const queuedReport = await aghOk(['run', 'inspect', run.id]);
    assert.match(queuedReport.stdout, /^next action\s+claim_available$/m);
    assert.match(queuedReport.stdout, /^diagnostics \(0\)$/m);

    const w = await workerSession();
    assert.equal((await claim()).id, run.id);
    const claimed = await aghOk(['run', 'show', run.id]);
    assert.match(claimed.stdout, /^status\s+claimed$/m);
    assert.match(claimed.stdout, new RegExp(`^session\\s+${w.id} \\(worker, active\\)$`, 'm'));
    assert.match(claimed.stdout, new RegExp(`^lease until\\s+${TIME}$`, 'm'));
    const json = await aghJson(['run', 'show', run.id]);
    assert.equal(json.run.run.id, run.id);
    assert.equal(json.run.task.id, task.id);
    assert.equal(json.run.session.session_id, w.id);
    assert.equal(typeof json.run.summary.last_activity_at, 'string');

    const claimedReport = await aghOk(['run', 'inspect', run.id]);
    assert.match(claimedReport.stdout, new RegExp(`^session\\s+${w.id} \\(worker, active\\)$`, 'm'));
    assert.match(claimedReport.stdout, /^next action\s+running$/m);
    const inspectJson = await aghJson(['run', 'inspect', run.id]);
    assert.equal(inspectJson.inspect.current_run.run_id, run.id);
    assert.equal(inspectJson.inspect.bound_session.session_id, w.id);

    const released = await aghOk(['run', 'release', run.id, '--reason', 'the operator needs it back']);
    assert.equal(released.stdout, `released run ${run.id} (attempt 1, queued)\n`);
    assert.equal((await runOf(run.id)).status, 'queued');
    const timeline = await aghOk(['task', 'timeline', task.id]);
    assert.match(timeline.stdout, /task\.run_released .*reason "the operator needs it back"/);

    // Released again while queued: the daemon says why not, and the command exits 1.
    const again = await agh(['run', 'release', run.id]);
    assert.equal(again.code, 1, explain(['run', 'release'], again));
    assert.equal(again.stderr, `error: task run "${run.id}" is queued; only claimed runs can be released\n`);

    // Leave nothing urgent queued for the next test's claims.
    await aghOk(['run', 'cancel', run.id]);
  });

  test('fail needs a reason (exit 2); fail; inspect suggests retry; retry queues the next attempt', async () => {
    const { task, run } = await queued('fails once');
    for (const args of [
      ['run', 'fail', run.id],
      ['run', 'fail', run.id, '--reason', '  '],
    ]) {
      const res = await agh(args);
      assert.equal(res.code, 2, explain(args, res));
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /failing a run needs a reason: agh run fail <run> --reason <text>/);
    }
    assert.equal((await runOf(run.id)).status, 'queued', 'nothing was sent');

    const failed = await aghOk(['run', 'fail', run.id, '--reason', 'bad input']);
    assert.equal(failed.stdout, `failed run ${run.id} (attempt 1, failed)\n`);
    const shown = await aghOk(['run', 'show', run.id]);
    assert.match(shown.stdout, /^status\s+failed$/m);
    assert.match(shown.stdout, /^error\s+bad input \(operator_forced\)$/m);
    assert.match(shown.stdout, new RegExp(`^ended\\s+${TIME}$`, 'm'));

    const report = await aghOk(['run', 'inspect', run.id]);
    assert.match(report.stdout, /^next action\s+recovery_required$/m);
    assert.match(report.stdout, /^diagnostics \(1\)$/m);
    assert.match(report.stdout, /^ {2}\[error\] task_run_crashed: Run failed \(bad input\)$/m);
    assert.match(report.stdout, new RegExp(`^ {4}try: agh run retry ${run.id}$`, 'm'));

    const retried = await aghOk(['run', 'retry', run.id]);
    const next = /^queued run (run-[0-9a-f]{16}) \(attempt 2, queued\)$/m.exec(retried.stdout)?.[1];
    assert.ok(next, retried.stdout);
    assert.equal(
      retried.stdout,
      `retried run ${run.id} (attempt 1, failed)\nqueued run ${next} (attempt 2, queued)\n`,
    );
    const nextRun = await runOf(next);
    assert.equal(nextRun.previous_run_id, run.id);
    assert.equal(nextRun.task_id, task.id);

    const twice = await agh(['run', 'retry', run.id, '-o', 'json']);
    assert.equal(twice.code, 1, explain(['run', 'retry'], twice));
    assert.equal(twice.stdout, '');
    assert.equal(twice.stderr, `error: task run "${run.id}" already has retry run "${next}"\n`);

    // -o json prints the daemon's answer.
    const other = await queued('fails as json');
    const failedJson = await aghJson(['run', 'fail', other.run.id, '--reason', 'x']);
    assert.equal(failedJson.run.status, 'failed');
    const retriedJson = await aghJson(['run', 'retry', other.run.id]);
    assert.equal(retriedJson.previous_run.id, other.run.id);
    assert.equal(retriedJson.run.attempt, 2);
  });

  test('cancel ends one run and its task; a finished run cannot be canceled', async () => {
    const { task, run } = await queued('not needed');
    const canceled = await aghOk(['run', 'cancel', run.id, '--reason', 'changed my mind']);
    assert.equal(canceled.stdout, `canceled run ${run.id} (attempt 1, canceled)\n`);
    const shown = await aghJson(['run', 'show', run.id]);
    assert.equal(shown.run.run.status, 'canceled');
    assert.equal(shown.run.task.status, 'canceled');
    assert.equal(
      (await aghJson<{ task: { task: Task } }>(['task', 'show', task.id])).task.task.status,
      'canceled',
    );

    const again = await agh(['run', 'cancel', run.id]);
    assert.equal(again.code, 1, explain(['run', 'cancel'], again));
    assert.match(again.stderr, new RegExp(`^error: .*${run.id}.*canceled`));
  });

  test('an unknown run is named (exit 1); a missing run id is a usage error (exit 2)', async () => {
    // The daemon's answer is the same for every action (its wording comes from one place).
    const commands = [
      ['run', 'show', UNKNOWN_RUN],
      ['run', 'release', UNKNOWN_RUN],
      ['run', 'cancel', UNKNOWN_RUN],
    ];
    for (const args of commands) {
      const res = await agh(args);
      assert.equal(res.code, 1, explain(args, res));
      assert.equal(res.stdout, '');
      assert.match(
        res.stderr,
        new RegExp(`^error: task run "${UNKNOWN_RUN}" not found\\n`),
        explain(args, res),
      );
    }
    for (const sub of ['show', 'fail']) {
      const res = await agh(['run', sub]);
      assert.equal(res.code, 2, explain(['run', sub], res));
      assert.match(res.stderr, /missing required argument 'run'/);
    }
    const retryReason = await agh(['run', 'retry', UNKNOWN_RUN, '--reason', 'x']);
    assert.equal(retryReason.code, 2, explain(['run', 'retry', '--reason'], retryReason));
    assert.match(retryReason.stderr, /unknown option '--reason'/);
  });
});

describe('agh run recover (a daemon that escalates starving runs at once)', () => {
  let home: string;
  let daemon: ForegroundDaemon;

  before(async () => {
    home = tempHome();
    writeFileSync(
      join(home, 'config.toml'),
      '[dispatcher]\nenabled = false\n\n[tasks]\nsweep_interval_seconds = 1\nstarvation_after_seconds = 1\nstarvation_cycles = 1\n',
    );
    daemon = await startForegroundDaemon(home);
  });

  after(async () => {
    try {
      await daemon?.stop();
    } finally {
      killStarted();
      removeTempDirs();
    }
  });

  const { agh, explain, aghJson, aghOk } = cliFor(() => home);

  test('a run that needs attention: task cancel and run fail point at recover, which queues a fresh attempt', async () => {
    const { task, run } = await aghJson<{ task: Task; run: Run }>([
      'task',
      'create',
      'nobody takes it',
      '--global',
      '--start',
    ]);
    let status = '';
    await eventually(
      async () => {
        status = (await aghJson(['run', 'show', run.id])).run.run.status as string;
        return status === 'needs_attention';
      },
      'the run to need attention',
      15_000,
    );

    const report = await aghOk(['run', 'inspect', run.id]);
    assert.match(report.stdout, /^status\s+needs_attention$/m);
    assert.match(report.stdout, /^next action\s+recovery_required$/m);

    // The daemon's errors name the command that gets the run out, and that command exists.
    for (const args of [
      ['task', 'cancel', task.id],
      ['run', 'fail', run.id, '--reason', 'x'],
    ]) {
      const res = await agh(args);
      assert.equal(res.code, 1, explain(args, res));
      assert.match(res.stderr, new RegExp(`\\ntry: agh run recover ${run.id}\\n$`), explain(args, res));
    }
    const cancel = await agh(['run', 'cancel', run.id]);
    assert.equal(cancel.code, 1, explain(['run', 'cancel'], cancel));
    // Canceling it is refused as well (the wording is the daemon's).
    assert.match(cancel.stderr, new RegExp(`^error: task run "${run.id}" .*needs.attention`));

    const recovered = await aghOk(['run', 'recover', run.id, '--reason', 'a worker is up now']);
    const next = /^queued run (run-[0-9a-f]{16}) \(attempt 2, queued\)$/m.exec(recovered.stdout)?.[1];
    assert.ok(next, recovered.stdout);
    assert.equal(
      recovered.stdout,
      `recovered run ${run.id} (attempt 1, failed)\nqueued run ${next} (attempt 2, queued)\n`,
    );
    const old = await aghOk(['run', 'show', run.id]);
    assert.match(old.stdout, /^error\s+a worker is up now \(operator_forced\)$/m);

    const again = await agh(['run', 'recover', run.id]);
    assert.equal(again.code, 1, explain(['run', 'recover'], again));
    assert.match(again.stderr, /only runs that need attention are recovered/);
  });
});
