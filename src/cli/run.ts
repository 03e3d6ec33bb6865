// agh run show|release|fail|retry|recover|cancel|inspect: one run (attempt) of a task, by its id,
// as the operator sees and overrides it. The commands the daemon suggests in its errors and
// inspection reports (`agh run recover <run>`, …) are these.
import type { Command } from 'commander';
import type { components } from '../client/api-types.ts';
import type { TaskRun } from '../client/tasks.ts';
import { call, connect } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printFields, printJson } from './output.ts';
import { formatOwner, localDateTime, runLine, statusWithPause } from './task-print.ts';

type TaskRunDetail = components['schemas']['TaskRunDetail'];
type InspectionReport = components['schemas']['InspectionReport'];

export function registerRunCommands(program: Command): void {
  const run = program
    .command('run')
    .description('see one run of a task, and release, fail, retry, recover or cancel it');

  run
    .command('show')
    .description('show a run: its status and lease, its task, its session and its last activity')
    .argument('<run>', 'run id (run-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.GET('/api/task-runs/{id}', { params: { path: { id } } }),
      );
      if (format === 'json') return printJson(data);
      printRunDetail(data.run);
    });

  run
    .command('release')
    .description('take a claimed run back from its session and queue it again (same run, same attempt)')
    .argument('<run>', 'run id (run-…)')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/runs/{id}/release', { params: { path: { id } }, body: reasonBody(opts) }),
      );
      printRunResult(cmd, data, 'released');
    });

  run
    .command('fail')
    .description('fail a queued or claimed run (an operator override; the reason is required)')
    .argument('<run>', 'run id (run-…)')
    .option('-r, --reason <text>', 'why (required)')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const reason = opts.reason;
      if (reason === undefined || reason.trim() === '') {
        throw new CliError('failing a run needs a reason: agh run fail <run> --reason <text>', {
          exitCode: 2,
        });
      }
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/runs/{id}/fail', { params: { path: { id } }, body: { reason } }),
      );
      printRunResult(cmd, data, 'failed');
    });

  run
    .command('retry')
    .description('queue a new attempt after a failed run')
    .argument('<run>', 'run id (run-…) of the failed run')
    .action(async (id: string, _opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/runs/{id}/retry', { params: { path: { id } }, body: {} }),
      );
      printSuccessor(cmd, data, 'retried');
    });

  run
    .command('recover')
    .description('end a run that needs attention (as failed) and queue a fresh attempt')
    .argument('<run>', 'run id (run-…) of the run that needs attention')
    .option('-r, --reason <text>', 'why (default: recovered by the operator)')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/runs/{id}/recover', { params: { path: { id } }, body: reasonBody(opts) }),
      );
      printSuccessor(cmd, data, 'recovered');
    });

  run
    .command('cancel')
    .description('abort one open run (its session stops; the task is canceled)')
    .argument('<run>', 'run id (run-…)')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/task-runs/{id}/cancel', { params: { path: { id } }, body: reasonBody(opts) }),
      );
      printRunResult(cmd, data, 'canceled');
    });

  run
    .command('inspect')
    .description('troubleshoot a run: what looks wrong with it and the command that helps')
    .argument('<run>', 'run id (run-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.GET('/api/runs/{id}/inspect', { params: { path: { id } } }),
      );
      if (format === 'json') return printJson(data);
      printInspection(data.inspect);
    });
}

function reasonBody(opts: { reason?: string }): { reason?: string } {
  return opts.reason !== undefined ? { reason: opts.reason } : {};
}

function printRunResult(cmd: Command, data: { run: TaskRun }, verb: string): void {
  if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
  process.stdout.write(`${verb} ${runLine(data.run)}`);
}

/** Retry and recover: the run that ended, then the attempt queued after it. */
function printSuccessor(cmd: Command, data: { previous_run: TaskRun; run: TaskRun }, verb: string): void {
  if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
  process.stdout.write(`${verb} ${runLine(data.previous_run)}`);
  process.stdout.write(`queued ${runLine(data.run)}`);
}

function taskRef(t: Parameters<typeof statusWithPause>[0] & { id: string; title: string }): string {
  return `${t.id} ${JSON.stringify(t.title)} (${statusWithPause(t)})`;
}

function when(iso: string | null | undefined): string | undefined {
  return iso ? localDateTime(iso) : undefined;
}

function printRunDetail(d: TaskRunDetail): void {
  const r = d.run;
  const s = d.session;
  const fields: [string, string | number | undefined][] = [
    ['run', r.id],
    ['status', r.status],
    ['attempt', r.attempt],
    ['task', taskRef(d.task)],
    ['owner', formatOwner(d.task.owner)],
    ['session', s ? `${s.session_id} (${[s.agent_name, s.state].filter(Boolean).join(', ')})` : r.session_id],
    ['queued', when(r.queued_at)],
  ];
  if (r.claimed_at) fields.push(['claimed', when(r.claimed_at)]);
  if (r.started_at) fields.push(['started', when(r.started_at)]);
  if (r.lease_until) fields.push(['lease until', when(r.lease_until)]);
  if (r.heartbeat_at) fields.push(['heartbeat', when(r.heartbeat_at)]);
  if (r.ended_at) fields.push(['ended', when(r.ended_at)]);
  if (r.error) fields.push(['error', r.failure_kind ? `${r.error} (${r.failure_kind})` : r.error]);
  if (r.result !== undefined && r.result !== null) fields.push(['result', JSON.stringify(r.result)]);
  if (r.previous_run_id) fields.push(['previous run', r.previous_run_id]);
  const activity = d.summary.last_activity_at ? localDateTime(d.summary.last_activity_at) : undefined;
  fields.push([
    'last activity',
    [activity, d.summary.last_event_type && `(${d.summary.last_event_type})`].filter(Boolean).join(' '),
  ]);
  printFields(fields);
}

function printInspection(report: InspectionReport): void {
  const r = report.current_run;
  const s = report.bound_session;
  const fields: [string, string | number | undefined][] = [
    ['run', r?.run_id],
    ['status', r?.status],
    ['attempt', r?.attempt],
    ['task', taskRef(report.task)],
  ];
  if (s) fields.push(['session', `${s.session_id} (${[s.agent_name, s.state].filter(Boolean).join(', ')})`]);
  if (r?.heartbeat_at)
    fields.push(['heartbeat', `${when(r.heartbeat_at)} (${r.heartbeat_age_seconds ?? '?'}s ago)`]);
  if (r?.lease_until) fields.push(['lease until', when(r.lease_until)]);
  if (r?.last_error_summary) fields.push(['error', r.last_error_summary]);
  if (report.scheduler.paused)
    fields.push(['scheduler', `paused${report.scheduler.reason ? `: ${report.scheduler.reason}` : ''}`]);
  fields.push(['next action', report.next_action], ['as of', localDateTime(report.as_of)]);
  printFields(fields);
  const diagnostics = report.diagnostics ?? [];
  process.stdout.write(`\ndiagnostics (${diagnostics.length})\n`);
  for (const d of diagnostics) {
    process.stdout.write(`  [${d.severity}] ${d.code}: ${d.title} (${d.message})\n`);
    if (d.suggested_command) process.stdout.write(`    try: ${d.suggested_command}\n`);
  }
}
