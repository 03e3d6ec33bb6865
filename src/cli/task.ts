// agh task create|list|show|tree|start|publish|approve|reject|pause|resume|cancel|runs|timeline|watch,
// plus the commands a session runs on its own work (task-agent.ts).
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type OwnerKind,
  TASK_PRIORITIES,
  TASK_STATUSES,
  type TaskPriority,
  type TaskStatus,
} from '../client/tasks.ts';
import { call, type Connection, connect } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printJson } from './output.ts';
import { registerTaskAgentCommands } from './task-agent.ts';
import {
  eventLine,
  jsonValue,
  newestFirst,
  ownerRef,
  positiveNumber,
  printRunTable,
  printTaskFields,
  printTaskTable,
  printTree,
  runLine,
  taskLine,
  timelineLine,
  wholeNumber,
} from './task-print.ts';
import { timeline, watch } from './task-watch.ts';
import { toRef } from './workspace.ts';

export function registerTaskCommands(program: Command): void {
  const task = program
    .command('task')
    .description('create tasks, queue their runs and follow them; claim and finish work from a session');

  task
    .command('create')
    .alias('new')
    .description('create a task (in the workspace of the current directory unless told otherwise)')
    .argument('<title>', 'what the task is about')
    .option('-w, --workspace <ref>', 'a workspace task of this workspace (id, name or directory)')
    .option('-g, --global', 'a global task, tied to no workspace')
    .option('-d, --description <text>', 'what to do, in detail')
    .addOption(new Option('-p, --priority <priority>', 'priority').choices(TASK_PRIORITIES))
    .option('--max-attempts <n>', 'how many runs the task may use', positiveNumber)
    .addOption(
      new Option('--approval <policy>', 'manual: runs wait for agh task approve').choices(['manual']),
    )
    .option('--owner <kind:ref>', 'who works on it, e.g. pool:<agent> or human:<name>', (v) => ownerRef(v))
    .option('-a, --agent <name>', 'the agent that works on it (the same as --owner pool:<name>)')
    .option('--draft', 'a draft: hidden from lists and not runnable until agh task publish')
    .option('--parent <task>', 'create it as a subtask of this task (its scope by default)')
    .option('--channel <name>', 'the network channel the task is bound to')
    .option('--metadata <json>', 'free-form JSON kept with the task', jsonValue)
    .option('--auto-enqueue', 'queue a run on its own once the task becomes ready')
    .option('--start', 'queue its first run right away')
    .action(async (title: string, opts: CreateOptions, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      if (opts.workspace !== undefined && opts.global)
        throw new CliError('use either --workspace or --global, not both', { exitCode: 2 });
      if (opts.agent !== undefined && opts.owner !== undefined)
        throw new CliError('use either --agent or --owner, not both', { exitCode: 2 });
      const conn = await connect();
      const owner = opts.agent !== undefined ? { kind: 'pool' as const, ref: opts.agent } : opts.owner;
      const body = {
        ...(await scopeOf(conn, opts)),
        title,
        ...(opts.description !== undefined && { description: opts.description }),
        ...(opts.priority !== undefined && { priority: opts.priority }),
        ...(opts.maxAttempts !== undefined && { max_attempts: opts.maxAttempts }),
        ...(opts.approval !== undefined && { approval_policy: opts.approval }),
        ...(owner !== undefined && { owner: { kind: owner.kind, ref: owner.ref ?? '' } }),
        ...(opts.draft && { draft: true }),
        ...(opts.channel !== undefined && { network_channel: opts.channel }),
        ...(opts.metadata !== undefined && { metadata: opts.metadata }),
        ...(opts.autoEnqueue && { auto_enqueue_on_ready: true }),
      };
      const created = await call(conn, () =>
        opts.parent !== undefined
          ? conn.client.POST('/api/tasks/{id}/children', { params: { path: { id: opts.parent } }, body })
          : conn.client.POST('/api/tasks', { body }),
      );
      const started = opts.start
        ? await call(conn, () =>
            conn.client.POST('/api/tasks/{id}/start', {
              params: { path: { id: created.task.id } },
              body: {},
            }),
          )
        : undefined;
      if (format === 'json') return printJson(started ?? created);
      const t = started?.task ?? created.task;
      process.stdout.write(taskLine('created', t));
      if (started) process.stdout.write(`started ${runLine(started.run)}`);
    });

  task
    .command('list')
    .alias('ls')
    .description('list tasks with their active run')
    .option('-w, --workspace <ref>', 'only the tasks of this workspace (id, name or directory)')
    .addOption(new Option('-s, --status <status>', 'only tasks in this status').choices(TASK_STATUSES))
    .addOption(
      new Option('-p, --priority <priority>', 'only tasks of this priority').choices(TASK_PRIORITIES),
    )
    .option('--all', 'include drafts')
    .option('-q, --query <text>', 'match the title or identifier')
    .option('--owner <kind[:ref]>', 'only tasks of this owner (or owner kind)', (v) => ownerRef(v, true))
    .option('-n, --limit <n>', 'at most this many tasks', positiveNumber)
    .action(async (opts: ListOptions, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const query = {
        ...(opts.workspace !== undefined && { workspace: toRef(opts.workspace) }),
        ...(opts.status !== undefined && { status: opts.status }),
        ...(opts.priority !== undefined && { priority: opts.priority }),
        ...(opts.all && { include_drafts: true }),
        ...(opts.query !== undefined && { query: opts.query }),
        ...(opts.owner !== undefined && { owner_kind: opts.owner.kind }),
        ...(opts.owner?.ref !== undefined && { owner_ref: opts.owner.ref }),
        ...(opts.limit !== undefined && { limit: opts.limit }),
      };
      const data = await call(conn, () => conn.client.GET('/api/tasks', { params: { query } }));
      if (format === 'json') return printJson(data);
      if (data.tasks.length === 0) {
        const filtered = Object.keys(query).some((k) => k !== 'limit' && k !== 'include_drafts');
        process.stdout.write(
          filtered ? 'no tasks match\n' : 'no tasks yet; create one with: agh task create <title>\n',
        );
        return;
      }
      printTaskTable(data.tasks);
    });

  task
    .command('show')
    .description('show a task: its fields, dependencies, children, runs and latest events')
    .argument('<id>', 'task id (task-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await call(conn, () => conn.client.GET('/api/tasks/{id}', { params: { path: { id } } }));
      if (format === 'json') return printJson(data);
      const d = data.task;
      printTaskFields(d.task);
      const deps = d.dependency_references ?? [];
      process.stdout.write(`\ndepends on (${deps.length})\n`);
      for (const dep of deps)
        process.stdout.write(`  ${dep.depends_on.id}  [${dep.depends_on.status}]  ${dep.depends_on.title}\n`);
      const children = d.children ?? [];
      process.stdout.write(`\nchildren (${children.length})\n`);
      if (children.length > 0) printTaskTable(children);
      const runs = d.runs ?? [];
      process.stdout.write(`\nruns (${runs.length})\n`);
      if (runs.length > 0) printRunTable(runs);
      // The detail carries the newest events, newest first; the last ten are shown oldest first.
      const events = (d.events ?? []).slice(0, 10).reverse();
      process.stdout.write(`\nlatest events\n`);
      for (const e of events) process.stdout.write(`  ${eventLine(e)}\n`);
    });

  task
    .command('tree')
    .description('show a task and its subtasks as an indented tree')
    .argument('<id>', 'task id (task-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.GET('/api/tasks/{id}/tree', { params: { path: { id } } }),
      );
      if (format === 'json') return printJson(data);
      printTree(data.tree);
    });

  const enqueueing = [
    ['start', 'started', 'queue a run for the task (repeating it returns the same run)'],
    ['publish', 'published', 'make a draft live and queue its work'],
    ['approve', 'approved', 'approve a task that waits for approval and queue its work'],
  ] as const;
  for (const [name, verb, description] of enqueueing) {
    task
      .command(name)
      .description(description)
      .argument('<id>', 'task id (task-…)')
      .option('-k, --key <key>', 'idempotency key: a repeat with the same key returns the same run')
      .action(async (id: string, opts: { key?: string }, cmd: Command) => {
        const format = outputFormat(cmd.optsWithGlobals().output);
        const conn = await connect();
        const body = opts.key !== undefined ? { idempotency_key: opts.key } : {};
        const params = { path: { id } };
        const data = await call(conn, () =>
          name === 'start'
            ? conn.client.POST('/api/tasks/{id}/start', { params, body })
            : name === 'publish'
              ? conn.client.POST('/api/tasks/{id}/publish', { params, body })
              : conn.client.POST('/api/tasks/{id}/approve', { params, body }),
        );
        if (format === 'json') return printJson(data);
        process.stdout.write(taskLine(verb, data.task));
        process.stdout.write(runLine(data.run));
      });
  }

  task
    .command('reject')
    .description('turn down a task that waits for approval')
    .argument('<id>', 'task id (task-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/tasks/{id}/reject', { params: { path: { id } } }),
      );
      printTaskResult(cmd, data, 'rejected');
    });

  task
    .command('pause')
    .description('hold a task and its subtree: their runs are not handed out until resumed')
    .argument('<id>', 'task id (task-…)')
    .option('-r, --reason <text>', 'why (required)')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const reason = opts.reason;
      if (reason === undefined || reason.trim() === '') {
        throw new CliError('a pause needs a reason: agh task pause <id> --reason <text>', { exitCode: 2 });
      }
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/tasks/{id}/pause', { params: { path: { id } }, body: { reason } }),
      );
      printTaskResult(cmd, data, 'paused');
    });

  task
    .command('resume')
    .description('lift the hold of a paused task')
    .argument('<id>', 'task id (task-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.POST('/api/tasks/{id}/resume', { params: { path: { id } }, body: {} }),
      );
      printTaskResult(cmd, data, 'resumed');
    });

  task
    .command('cancel')
    .description('cancel a task and its subtree (their open runs end)')
    .argument('<id>', 'task id (task-…)')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      const conn = await connect();
      const body = opts.reason !== undefined ? { reason: opts.reason } : {};
      const data = await call(conn, () =>
        conn.client.POST('/api/tasks/{id}/cancel', { params: { path: { id } }, body }),
      );
      printTaskResult(cmd, data, 'canceled');
    });

  task
    .command('runs')
    .description('list the runs (attempts) of a task, newest first')
    .argument('<id>', 'task id (task-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await call(conn, () =>
        conn.client.GET('/api/tasks/{id}/runs', { params: { path: { id } } }),
      );
      if (format === 'json') return printJson({ runs: newestFirst(data.runs) });
      if (data.runs.length === 0) {
        process.stdout.write(`no runs yet; queue one with: agh task start ${id}\n`);
        return;
      }
      printRunTable(data.runs);
    });

  task
    .command('timeline')
    .description('print the events of a task, one a line: sequence, time, type, run, summary')
    .argument('<id>', 'task id (task-…)')
    .option('--after <seq>', 'only the events after this sequence number', wholeNumber)
    .option('-n, --limit <n>', 'at most this many events', positiveNumber)
    .action(async (id: string, opts: { after?: number; limit?: number }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const conn = await connect();
      const data = await timeline(conn, id, opts.after, opts.limit);
      if (format === 'json') return printJson(data);
      for (const entry of data.timeline) process.stdout.write(`${timelineLine(entry)}\n`);
    });

  task
    .command('watch')
    .description('follow the events of a task and its subtree; exit once the task has finished')
    .argument('<id>', 'task id (task-…)')
    .option('--after <seq>', 'start after this sequence number (default: from the first event)', wholeNumber)
    .option('--forever', 'keep following after the task has finished')
    .action(async (id: string, opts: { after?: number; forever?: boolean }, cmd: Command) => {
      await watch(id, opts, outputFormat(cmd.optsWithGlobals().output));
    });

  registerTaskAgentCommands(task);
}

interface CreateOptions {
  workspace?: string;
  global?: boolean;
  description?: string;
  priority?: TaskPriority;
  maxAttempts?: number;
  approval?: 'manual';
  owner?: { kind: OwnerKind; ref?: string };
  agent?: string;
  draft?: boolean;
  parent?: string;
  channel?: string;
  metadata?: unknown;
  autoEnqueue?: boolean;
  start?: boolean;
}

interface ListOptions {
  workspace?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  all?: boolean;
  query?: string;
  owner?: { kind: OwnerKind; ref?: string };
  limit?: number;
}

type Scope = { scope: 'workspace'; workspace: string } | { scope: 'global' };

/**
 * Where a new task lives: --workspace or --global when given; a subtask where its parent is; else
 * the registered workspace that holds the current directory, and global when none does.
 */
async function scopeOf(conn: Connection, opts: CreateOptions): Promise<Scope> {
  if (opts.workspace !== undefined) return { scope: 'workspace', workspace: toRef(opts.workspace) };
  if (opts.global) return { scope: 'global' };
  if (opts.parent !== undefined) {
    const id = opts.parent;
    const { task } = await call(conn, () => conn.client.GET('/api/tasks/{id}', { params: { path: { id } } }));
    return task.task.scope === 'workspace' && task.task.workspace_id
      ? { scope: 'workspace', workspace: task.task.workspace_id }
      : { scope: 'global' };
  }
  const dir = resolve('.');
  let missing = false;
  const data = await call(conn, async () => {
    const result = await conn.client.GET('/api/workspaces/{id}', { params: { path: { id: dir } } });
    missing = result.response.status === 404;
    return missing ? { data: undefined, response: new Response(null) } : result;
  });
  if (missing || !data) {
    process.stderr.write(
      `no registered workspace holds ${dir}: the task is global (--workspace picks one)\n`,
    );
    return { scope: 'global' };
  }
  return { scope: 'workspace', workspace: data.workspace.id };
}

function printTaskResult(cmd: Command, data: { task: Parameters<typeof taskLine>[1] }, verb: string): void {
  if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson(data);
  process.stdout.write(taskLine(verb, data.task));
}
