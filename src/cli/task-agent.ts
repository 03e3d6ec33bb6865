// agh task next|heartbeat|complete|fail|release: what a session runs about its own work. Inside a
// session the daemon put AGH_API_URL and AGH_SESSION_TOKEN in the environment, and those are used;
// elsewhere the operator acts as a session named by --session and --agent (or AGH_SESSION_ID and
// AGH_AGENT), with the operator token.
import type { Command } from 'commander';
import { type AghClient, createAghClient } from '../client/index.ts';
import { type ApiErrorBody, type TaskClaim, type TaskLease, untimedFetch } from '../client/tasks.ts';
import { resolveHome } from '../daemon/config.ts';
import { tokenPath } from '../daemon/home.ts';
import { connect, daemonUrl } from './connection.ts';
import { CliError } from './errors.ts';
import { outputFormat, printFields, printJson } from './output.ts';
import { formatOwner, localDateTime, positiveNumber, priorityWeight } from './task-print.ts';

interface Identity {
  session?: string;
  agent?: string;
}

interface AgentConnection {
  url: string;
  client: AghClient;
  /** X-AGH-Session-ID and X-AGH-Agent, when they name the session. */
  headers: Record<string, string>;
  /** Which token is sent: the session's own, or the operator's (with the headers). */
  via: 'session' | 'operator';
  home?: string;
}

export function registerTaskAgentCommands(task: Command): void {
  identity(
    task
      .command('next')
      .alias('claim')
      .description('claim the next run this session may work on (exit 3 when there is none)')
      .option('--wait', 'wait until there is work instead of answering "nothing to claim"')
      .option(
        '--lease-seconds <n>',
        'how long the lease holds without a heartbeat (default 300)',
        positiveNumber,
      )
      .option(
        '--priority-min <priority>',
        'only tasks of this priority or above (low|medium|high|urgent or 10-40)',
        priorityWeight,
      ),
  ).action(
    async (
      opts: Identity & { wait?: boolean; leaseSeconds?: number; priorityMin?: number },
      cmd: Command,
    ) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const ac = await agentConnection(opts);
      const body = {
        ...(opts.wait && { wait: true }),
        ...(opts.leaseSeconds !== undefined && { lease_seconds: opts.leaseSeconds }),
        ...(opts.priorityMin !== undefined && { priority_min: opts.priorityMin }),
      };
      const { data, response } = await agentCall(ac, () =>
        ac.client.POST('/api/agent/tasks/claim-next', {
          body,
          headers: ac.headers,
          // A long poll may outlast fetch's five minutes of waiting for an answer.
          ...(opts.wait && { fetch: untimedFetch }),
        }),
      );
      if (response.status === 204 || !data) {
        process.stderr.write('nothing to claim\n');
        process.exitCode = 3;
        return;
      }
      if (format === 'json') return printJson(data);
      printClaim(data.claim);
      // The claim names the task; its brief (title and description) comes with the session's context.
      const context = await ac.client
        .GET('/api/agent/context', { headers: ac.headers })
        .catch(() => undefined);
      const brief = context?.data?.context.task.bundle?.handoff_summary;
      if (brief) process.stdout.write(`\n${brief}\n`);
    },
  );

  identity(
    task
      .command('heartbeat')
      .description('keep the lease on a run alive')
      .argument('<run>', 'run id')
      .option('--lease-seconds <n>', 'the lease now ends this long from now (default 300)', positiveNumber),
  ).action(async (run: string, opts: Identity & { leaseSeconds?: number }, cmd: Command) => {
    const ac = await agentConnection(opts);
    const body = opts.leaseSeconds !== undefined ? { lease_seconds: opts.leaseSeconds } : {};
    const { data } = await agentCall(ac, () =>
      ac.client.POST('/api/agent/tasks/{run_id}/heartbeat', {
        params: { path: { run_id: run } },
        body,
        headers: ac.headers,
      }),
    );
    printLease(cmd, data!.lease, `lease on run ${run} holds until ${until(data!.lease)}`);
  });

  identity(
    task
      .command('complete')
      .description('finish a run successfully')
      .argument('<run>', 'run id')
      .option('--result <value>', 'the result: JSON is sent as JSON, anything else as a string'),
  ).action(async (run: string, opts: Identity & { result?: string }, cmd: Command) => {
    const ac = await agentConnection(opts);
    const body = opts.result !== undefined ? { result: jsonOrText(opts.result) } : {};
    const { data } = await agentCall(ac, () =>
      ac.client.POST('/api/agent/tasks/{run_id}/complete', {
        params: { path: { run_id: run } },
        body,
        headers: ac.headers,
      }),
    );
    printLease(cmd, data!.lease, `completed run ${run} of task ${data!.lease.task_id}`);
  });

  identity(
    task
      .command('fail')
      .description('finish a run as failed')
      .argument('<run>', 'run id')
      .option('-e, --error <text>', 'what went wrong (required)'),
  ).action(async (run: string, opts: Identity & { error?: string }, cmd: Command) => {
    if (opts.error === undefined || opts.error.trim() === '') {
      throw new CliError('say what went wrong: agh task fail <run> --error <text>', { exitCode: 2 });
    }
    const ac = await agentConnection(opts);
    const body = { error: opts.error };
    const { data } = await agentCall(ac, () =>
      ac.client.POST('/api/agent/tasks/{run_id}/fail', {
        params: { path: { run_id: run } },
        body,
        headers: ac.headers,
      }),
    );
    printLease(cmd, data!.lease, `failed run ${run} of task ${data!.lease.task_id}: ${opts.error}`);
  });

  identity(
    task
      .command('release')
      .description('hand a claimed run back to the queue without finishing it')
      .argument('<run>', 'run id')
      .option('-r, --reason <text>', 'why'),
  ).action(async (run: string, opts: Identity & { reason?: string }, cmd: Command) => {
    const ac = await agentConnection(opts);
    const body = opts.reason !== undefined ? { reason: opts.reason } : {};
    const { data } = await agentCall(ac, () =>
      ac.client.POST('/api/agent/tasks/{run_id}/release', {
        params: { path: { run_id: run } },
        body,
        headers: ac.headers,
      }),
    );
    printLease(cmd, data!.lease, `released run ${run} back to the queue`);
  });
}

function identity(cmd: Command): Command {
  return cmd
    .option('--session <id>', 'act as this session (default: AGH_SESSION_ID; needs the operator token)')
    .option('--agent <name>', 'the agent of that session (default: AGH_AGENT)');
}

/** The session's own token when the daemon gave it one, else the operator's plus the session's name. */
async function agentConnection(
  opts: Identity,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentConnection> {
  const named = {
    ...(opts.session !== undefined && { 'x-agh-session-id': opts.session }),
    ...(opts.agent !== undefined && { 'x-agh-agent': opts.agent }),
  };
  const sessionToken = env.AGH_SESSION_TOKEN?.trim();
  if (sessionToken) {
    const url = env.AGH_API_URL?.trim() || (await daemonUrl(resolveHome(env), env));
    return { url, client: createAghClient(url, sessionToken), headers: named, via: 'session' };
  }
  const session = opts.session ?? env.AGH_SESSION_ID?.trim();
  const agent = opts.agent ?? env.AGH_AGENT?.trim();
  if (!session || !agent) {
    throw new CliError(
      'this command runs inside an agent session (AGH_SESSION_TOKEN), or needs --session <id> and --agent <name>',
      { exitCode: 2 },
    );
  }
  const conn = await connect(env);
  return {
    url: conn.url,
    client: conn.client,
    headers: { 'x-agh-session-id': session, 'x-agh-agent': agent },
    via: 'operator',
    home: conn.home,
  };
}

interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs one agent call. Like `call`, but a 401 here is mostly about the session (stopped, unknown,
 * not matching), so the daemon's own message is shown rather than "rejected the operator token".
 */
async function agentCall<T>(
  ac: AgentConnection,
  request: () => Promise<ApiResult<T>>,
): Promise<ApiResult<T>> {
  let result: ApiResult<T>;
  try {
    result = await request();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach the agh daemon at ${ac.url} (${cause?.code ?? cause?.message ?? (err as Error).message})`,
      { hint: 'start it with: agh daemon start', exitCode: 3 },
    );
  }
  if (result.response.ok) return result;
  const body = result.error as ApiErrorBody | undefined;
  const suggestion = body?.diagnostic?.suggested_command;
  if (result.response.status === 401) {
    const code = body?.diagnostic?.code;
    const wrongToken = code === undefined || code === 'unauthorized';
    const message = !wrongToken
      ? (body?.error ?? 'the daemon refused the session identity')
      : ac.via === 'session'
        ? `the daemon at ${ac.url} rejected the session token (AGH_SESSION_TOKEN)`
        : `the daemon at ${ac.url} rejected the operator token`;
    const hint =
      suggestion && !wrongToken
        ? `try: ${suggestion}`
        : ac.via === 'operator' && ac.home !== undefined
          ? `set AGH_OPERATOR_TOKEN to the daemon's token, or check ${tokenPath(ac.home)}`
          : undefined;
    throw new CliError(message, { exitCode: 4, ...(hint !== undefined && { hint }) });
  }
  const message = body?.error ?? `${result.response.status} ${result.response.statusText}`;
  throw new CliError(message, suggestion ? { hint: `try: ${suggestion}` } : {});
}

function printClaim(claim: TaskClaim): void {
  const channel = claim.coordination_channel ?? claim.lease.coordination_channel;
  printFields([
    ['run', claim.run.id],
    ['task', claim.task.id],
    ['title', claim.task.title],
    ['priority', claim.task.priority],
    ['owner', formatOwner(claim.task.owner)],
    ['attempt', claim.run.attempt],
    ['lease until', until(claim.lease)],
    ['channel', channel?.id],
  ]);
}

function printLease(cmd: Command, lease: TaskLease, line: string): void {
  if (outputFormat(cmd.optsWithGlobals().output) === 'json') return printJson({ lease });
  process.stdout.write(`${line}\n`);
}

function until(lease: TaskLease): string {
  return lease.lease_until ? localDateTime(lease.lease_until) : '-';
}

/** `--result`: JSON when it parses as JSON, else the text itself. */
function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
