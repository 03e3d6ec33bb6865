// agh task watch: follows the event stream of a task (and its subtree) until the task has finished.
import { setTimeout as delay } from 'node:timers/promises';
import { openTaskStream, type TaskStreamEvent } from '../client/tasks.ts';
import { call, type Connection, connect } from './connection.ts';
import { CliError } from './errors.ts';
import type { OutputFormat } from './output.ts';
import { isTerminal, taskStatusAfter, TERMINAL_STATUSES, timelineLine } from './task-print.ts';

/** How often `task watch` reconnects after losing the stream before it gives up. */
const STREAM_RETRIES = 4;

export function timeline(conn: Connection, id: string, after?: number, limit?: number) {
  const query = {
    ...(after !== undefined && { after_sequence: after }),
    ...(limit !== undefined && { limit }),
  };
  return call(conn, () => conn.client.GET('/api/tasks/{id}/timeline', { params: { path: { id }, query } }));
}

/**
 * `task watch`: prints the events of the task's stream as they come and, unless --forever, ends
 * once an event of the task itself leaves it completed, failed or canceled (or rejects it). A task
 * that has already finished gets its timeline printed instead. A lost stream is picked up again after the last event
 * seen (Last-Event-ID), a few times.
 */
export async function watch(
  id: string,
  opts: { after?: number; forever?: boolean },
  format: OutputFormat,
): Promise<void> {
  let conn = await connect();
  const { task: detail } = await call(conn, () =>
    conn.client.GET('/api/tasks/{id}', { params: { path: { id } } }),
  );
  const taskId = detail.task.id;
  const print = (entry: TaskStreamEvent['timeline'], raw: unknown) =>
    process.stdout.write(format === 'json' ? `${JSON.stringify(raw)}\n` : `${timelineLine(entry, taskId)}\n`);

  // A rejected task stays blocked until someone cancels it: as good as over for a watcher.
  const over = isTerminal(detail.task, detail.runs)
    ? detail.task.status
    : detail.task.approval_state === 'rejected'
      ? 'rejected'
      : undefined;
  if (!opts.forever && over !== undefined) {
    const { timeline: entries } = await timeline(conn, taskId, opts.after);
    for (const entry of entries)
      print(entry, { sequence: entry.sequence, type: entry.event_type, timeline: entry });
    return finished(taskId, over, format);
  }

  let last = opts.after ?? 0;
  let retries = 0;
  let reconnecting = false;
  for (;;) {
    const controller = new AbortController();
    let cause: string;
    try {
      // A restarted daemon may listen elsewhere: its daemon.json says where.
      if (reconnecting) conn = await connect();
      const stream = await openTaskStream(conn.url, conn.token, taskId, {
        after: last,
        ...(reconnecting && { lastEventId: last }),
        signal: controller.signal,
      });
      if (stream.error !== undefined || !stream.events) {
        if (stream.response.status === 401) {
          throw new CliError(`the daemon at ${conn.url} rejected the operator token`, { exitCode: 4 });
        }
        const suggestion = stream.error?.diagnostic?.suggested_command;
        throw new CliError(stream.error?.error ?? `${stream.response.status} ${stream.response.statusText}`, {
          ...(suggestion && { hint: `try: ${suggestion}` }),
        });
      }
      for await (const event of stream.events) {
        retries = 0;
        if (event.sequence <= last) continue;
        last = event.sequence;
        print(event.timeline, event);
        if (opts.forever || event.timeline.task.id !== taskId) continue;
        const status = taskStatusAfter(event.timeline);
        if (status !== undefined && TERMINAL_STATUSES.has(status)) return finished(taskId, status, format);
        if (event.type === 'task.rejected') return finished(taskId, 'rejected', format);
      }
      cause = 'the daemon closed it';
    } catch (err) {
      if (err instanceof CliError) throw err;
      cause = describeCause(err);
    } finally {
      controller.abort();
    }
    retries += 1;
    reconnecting = true;
    if (retries > STREAM_RETRIES) {
      throw new CliError(`lost the event stream of task ${taskId} (${cause})`, {
        hint: `follow it again with: agh task watch ${taskId} --after ${last}`,
        exitCode: 3,
      });
    }
    process.stderr.write(
      `lost the event stream of task ${taskId} (${cause}); reconnecting after event ${last} (${retries}/${STREAM_RETRIES})…\n`,
    );
    await delay(500 * 2 ** (retries - 1));
  }
}

/** The last line of `task watch`; exit 0 when the task completed, 1 when it failed, was canceled or rejected. */
function finished(id: string, status: string, format: OutputFormat): void {
  (format === 'json' ? process.stderr : process.stdout).write(`task ${id} ${status}\n`);
  if (status !== 'completed') process.exitCode = 1;
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
