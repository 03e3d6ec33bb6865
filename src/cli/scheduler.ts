// agh scheduler status|backlog|pause|resume|drain
import type { Command } from 'commander';
import { type SchedulerStatus, untimedFetch } from '../client/tasks.ts';
import { call, connect } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printFields, printJson, printTable } from './output.ts';
import { localDateTime, positiveNumber, wholeNumber } from './task-print.ts';
import { toRef } from './workspace.ts';

export function registerSchedulerCommands(program: Command): void {
  const scheduler = program
    .command('scheduler')
    .description('see the run queue, and pause, resume or drain the handing out of runs');

  scheduler
    .command('status')
    .description('is the scheduler paused, and how many runs are queued, claimed, starving or stuck')
    .action(async (_opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () => conn.client.GET('/api/scheduler'));
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      printStatus(data.scheduler);
    });

  scheduler
    .command('backlog')
    .description('the queued runs waiting to be claimed, in the order they are handed out')
    .option('-w, --workspace <ref>', 'only the runs of this workspace (id, name or directory)')
    .option('-n, --limit <n>', 'at most this many runs', positiveNumber)
    .option('--include-paused', 'also the runs held back by a paused task')
    .action(async (opts: { workspace?: string; limit?: number; includePaused?: boolean }, cmd: Command) => {
      const conn = await connect();
      const query = {
        ...(opts.workspace !== undefined && { workspace: toRef(opts.workspace) }),
        ...(opts.limit !== undefined && { limit: opts.limit }),
        ...(opts.includePaused && { include_paused: true }),
      };
      const data = await call(conn, () => conn.client.GET('/api/scheduler/backlog', { params: { query } }));
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      const { runs, total } = data.backlog;
      if (runs.length === 0) {
        process.stdout.write('no queued runs\n');
        return;
      }
      printTable(
        ['RUN', 'TASK', 'TITLE', 'PRIORITY', 'ATTEMPT', 'QUEUED', 'PAUSED'],
        runs.map(({ run, task }) => [
          run.id,
          task.id,
          task.title,
          task.priority,
          `${run.attempt}/${task.max_attempts ?? '-'}`,
          localDateTime(run.queued_at),
          task.effective_paused ? 'yes' : '',
        ]),
      );
      if (total > runs.length) process.stdout.write(`${runs.length} of ${total} queued runs shown\n`);
    });

  scheduler
    .command('pause')
    .description('stop handing out runs (claims answer "nothing to claim" until resumed)')
    .option('-r, --reason <text>', 'why')
    .action(async (opts: { reason?: string }, cmd: Command) => {
      const conn = await connect();
      const body = opts.reason !== undefined ? { reason: opts.reason } : {};
      const data = await call(conn, () => conn.client.POST('/api/scheduler/pause', { body }));
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      process.stdout.write('scheduler paused\n');
      printStatus(data.scheduler);
    });

  scheduler
    .command('resume')
    .description('hand out runs again after a pause or a drain')
    .action(async (_opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () => conn.client.POST('/api/scheduler/resume', { body: {} }));
      if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
      process.stdout.write('scheduler resumed\n');
      printStatus(data.scheduler);
    });

  scheduler
    .command('drain')
    .description('pause, then wait until no run is claimed or running (exit 1 if some still are)')
    .option('-t, --timeout <seconds>', 'wait at most this long (default 60)', wholeNumber)
    .option('-r, --reason <text>', 'why')
    .action(async (opts: { timeout?: number; reason?: string }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const before = await call(conn, () => conn.client.GET('/api/scheduler'));
      const inFlight = before.scheduler.active_claim_count;
      const wait = opts.timeout ?? 60;
      process.stderr.write(
        `draining: ${inFlight} ${inFlight === 1 ? 'claim' : 'claims'} in flight${inFlight > 0 ? `, waiting up to ${wait} s` : ''}…\n`,
      );
      const body = {
        ...(opts.timeout !== undefined && { timeout_seconds: opts.timeout }),
        ...(opts.reason !== undefined && { reason: opts.reason }),
      };
      // The call blocks for up to the timeout, which may be longer than fetch waits for an answer.
      const data = await call(conn, () =>
        conn.client.POST('/api/scheduler/drain', { body, fetch: untimedFetch }),
      );
      if (format === 'json') printJson(data);
      else if (data.completed) {
        process.stdout.write('drained: no claims in flight; the scheduler stays paused\n');
        process.stdout.write('hand out runs again with: agh scheduler resume\n');
      }
      if (!data.completed) {
        throw new CliError(
          `the drain timed out: ${data.remaining_claims} ${data.remaining_claims === 1 ? 'claim is' : 'claims are'} still in flight (the scheduler stays paused)`,
          { hint: 'see them with: agh scheduler status' },
        );
      }
    });
}

function printStatus(s: SchedulerStatus): void {
  const paused = s.paused
    ? ['yes', s.paused_at && `since ${localDateTime(s.paused_at)}`, s.paused_by && `by ${s.paused_by}`]
        .filter(Boolean)
        .join(' ')
    : 'no';
  const fields: [string, string | number | undefined][] = [['paused', paused]];
  if (s.paused && s.paused_reason) fields.push(['reason', s.paused_reason]);
  fields.push(
    ['queued runs', s.queued_run_count],
    ['claims in flight', s.active_claim_count],
    ['starved runs', s.starved_run_count],
    ['needs attention', s.needs_attention_run_count],
    ['paused tasks', s.paused_task_count],
    ['as of', localDateTime(s.as_of)],
  );
  printFields(fields);
}
