// agh session new|list|show|prompt|stop|events
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ApiError,
  type Session,
  SessionsClient,
  type SessionsResult,
  type Turn,
} from '../client/sessions.ts';
import { call, type Connection, connect } from './connection.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, outputFormat, printJson, printTable } from './output.ts';
import {
  turnNote,
  formatEventLine,
  describeStop,
  str,
  printSessionFields,
  tildePath,
  localDateTime,
} from './session-print.ts';
import { toRef } from './workspace.ts';

const STATES = ['starting', 'active', 'stopping', 'stopped'] as const;

export function registerSessionCommands(program: Command): void {
  const session = program
    .command('session')
    .description('start agent sessions, talk to them, follow their events and stop them');

  session
    .command('new')
    .alias('start')
    .description('start an agent session in a workspace and wait until it is ready')
    .option('-a, --agent <name>', 'agent to run (default: the workspace default agent, then general)')
    .option('-w, --workspace <ref>', 'workspace id, name or root directory')
    .option(
      '-C, --cwd <dir>',
      'run in the workspace that holds this directory, registering the directory when none does (default: the current directory)',
    )
    .option('-n, --name <name>', 'a name for the session')
    .option('--provider <provider>', 'provider to run the agent with (default: the agent’s own)')
    .option('-m, --model <model>', 'model (needs --provider)')
    .action(async (opts: NewOptions, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      if (opts.workspace !== undefined && opts.cwd !== undefined)
        throw new CliError('use either --workspace or --cwd, not both', { exitCode: 2 });
      const { conn, api } = await connectSessions();
      const where =
        opts.workspace !== undefined
          ? { workspace: toRef(opts.workspace) }
          : await workspaceOfDirectory(conn, resolve(opts.cwd ?? '.'));
      const body = {
        ...where,
        ...(opts.agent !== undefined && { agent_name: opts.agent }),
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.provider !== undefined && { provider: opts.provider }),
        ...(opts.model !== undefined && { model: opts.model }),
      };
      const data = await callSessions(conn, () => api.create(body));
      if (format === 'json') return printJson(data);
      process.stdout.write(`started session ${data.session.id} (agent ${data.session.agent_name})\n`);
      printSessionFields(data.session);
    });

  session
    .command('list')
    .alias('ls')
    .description('list sessions, newest first')
    .option('-w, --workspace <ref>', 'only the sessions of this workspace (id, name or root directory)')
    .addOption(new Option('-s, --state <state>', 'only sessions in this state').choices(STATES))
    .action(async (opts: { workspace?: string; state?: Session['state'] }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const { conn, api } = await connectSessions();
      const data = await callSessions(conn, () =>
        api.list({
          ...(opts.workspace !== undefined && { workspace: toRef(opts.workspace) }),
          ...(opts.state !== undefined && { state: opts.state }),
        }),
      );
      if (format === 'json') return printJson(data);
      if (data.sessions.length === 0) {
        const filtered = opts.workspace !== undefined || opts.state !== undefined;
        process.stdout.write(
          filtered ? 'no sessions match\n' : 'no sessions yet; start one with: agh session new\n',
        );
        return;
      }
      printTable(
        ['ID', 'NAME', 'AGENT', 'STATE', 'BADGE', 'WORKSPACE', 'CREATED', 'STOP REASON'],
        data.sessions.map((s) => [
          s.id,
          s.name,
          s.agent_name,
          s.state,
          s.badge,
          s.workspace_path === undefined ? s.workspace_id : tildePath(s.workspace_path),
          localDateTime(s.created_at),
          s.stop_reason,
        ]),
      );
    });

  session
    .command('show')
    .description('show a session: state, health, current turn, workspace and why it stopped')
    .argument('<id>', 'session id (sess-…)')
    .action(async (id: string, _opts, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const { conn, api } = await connectSessions();
      const data = await callSessions(conn, () => api.get(id));
      if (format === 'json') return printJson(data);
      printSessionFields(data.session);
    });

  session
    .command('prompt')
    .description(
      'send a prompt and print the answer as it streams; tool calls and permission decisions go to stderr',
    )
    .argument('<id>', 'session id (sess-…)')
    .argument(
      '<text...>',
      'what to tell the agent (words are joined by spaces; put -- before text that starts with -)',
    )
    .option('--wait', 'print nothing until the turn has ended, then its whole answer')
    .option('--no-stream', 'the same as --wait')
    .action(async (id: string, words: string[], opts: { wait?: boolean; stream: boolean }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const text = words.join(' ');
      if (text.trim() === '') throw new CliError('the prompt is empty', { exitCode: 2 });
      const { conn, api } = await connectSessions();
      const turn =
        opts.wait || !opts.stream
          ? (await callSessions(conn, () => api.prompt(id, { text, wait: true }))).turn
          : await streamTurn(conn, api, id, text, format);
      if (format === 'json') printJson({ turn });
      else if (opts.wait || !opts.stream) {
        const answer = turn.text ?? '';
        if (answer !== '') process.stdout.write(answer.endsWith('\n') ? answer : `${answer}\n`);
      }
      if (turn.state === 'failed')
        throw new CliError(`turn ${turn.id} failed: ${turn.error ?? 'no reason given'}`);
      if (format === 'table' && turn.stop_reason !== undefined && turn.stop_reason !== 'end_turn')
        process.stderr.write(`the turn ended: ${turn.stop_reason}\n`);
    });

  session
    .command('stop')
    .description('stop a session: its whole process tree ends (stopping a stopped session is fine)')
    .argument('<id>', 'session id (sess-…)')
    .option('-d, --detail <text>', 'why, in words (kept as the stop detail)')
    .action(async (id: string, opts: { detail?: string }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const { conn, api } = await connectSessions();
      const data = await callSessions(conn, () =>
        api.stop(id, opts.detail !== undefined ? { detail: opts.detail } : {}),
      );
      if (format === 'json') return printJson(data);
      process.stdout.write(`stopped session ${data.session.id}\n`);
      printSessionFields(data.session);
    });

  session
    .command('events')
    .description('print the events of a session, one a line, and follow them until it stops')
    .argument('<id>', 'session id (sess-…)')
    .option('--after <seq>', 'only the events after this sequence number', wholeNumber)
    .option('--no-follow', 'print the events stored so far and exit')
    .action(async (id: string, opts: { after?: number; follow: boolean }, cmd: Command) => {
      const format = outputFormat(cmd.optsWithGlobals().output);
      const { conn, api } = await connectSessions();
      const controller = new AbortController();
      const stream = await callSessions(conn, () =>
        api.events(id, {
          ...(opts.after !== undefined && { after: opts.after }),
          follow: opts.follow,
          signal: controller.signal,
        }),
      );
      const release = onInterrupt();
      let last = opts.after ?? 0;
      let stopped = false;
      try {
        for await (const event of stream) {
          last = event.seq;
          if (event.type === 'state' && event.data.state === 'stopped') stopped = true;
          process.stdout.write(
            format === 'json' ? `${JSON.stringify(event)}\n` : `${formatEventLine(event)}\n`,
          );
        }
      } catch (err) {
        throw lostStream(conn, id, err);
      } finally {
        release();
        controller.abort();
      }
      if (!opts.follow || stopped) return;
      // The stream also ends when the stopped state was before --after, or when the daemon closes it.
      const { session: now } = await callSessions(conn, () => api.get(id));
      if (now.state !== 'stopped') {
        throw new CliError(`the daemon closed the event stream of session ${id} before the session stopped`, {
          hint: `follow it again with: agh session events ${id} --after ${last}`,
        });
      }
    });
}

interface NewOptions {
  agent?: string;
  workspace?: string;
  cwd?: string;
  name?: string;
  provider?: string;
  model?: string;
}

async function connectSessions(): Promise<{ conn: Connection; api: SessionsClient }> {
  const conn = await connect();
  return { conn, api: new SessionsClient(conn.url, conn.token) };
}

/**
 * `call` for the Sessions API: the same messages and exit codes, plus the session id when the
 * daemon names one in its evidence (a session that failed to start still exists, stopped).
 */
async function callSessions<T>(conn: Connection, request: () => Promise<SessionsResult<T>>): Promise<T> {
  let failure: ApiError | undefined;
  try {
    return await call(conn, async () => {
      const result = await request();
      failure = result.error;
      return result;
    });
  } catch (err) {
    const sessionId = (failure as ApiError | undefined)?.diagnostic?.evidence?.session_id;
    if (err instanceof CliError && typeof sessionId === 'string' && !err.message.includes(sessionId)) {
      throw new CliError(`${err.message} (session ${sessionId})`, {
        exitCode: err.exitCode,
        ...(err.hint !== undefined && { hint: err.hint }),
      });
    }
    throw err;
  }
}

/**
 * Where `session new` runs when no workspace is named: the registered workspace that holds the
 * directory (its root or any directory inside it), else the directory itself, which the daemon then
 * registers.
 */
async function workspaceOfDirectory(
  conn: Connection,
  dir: string,
): Promise<{ workspace: string } | { workspace_path: string }> {
  let missing = false;
  const data = await call(conn, async () => {
    const result = await conn.client.GET('/api/workspaces/{id}', { params: { path: { id: dir } } });
    missing = result.response.status === 404;
    return missing ? { data: undefined, response: new Response(null) } : result;
  });
  return missing || !data ? { workspace_path: dir } : { workspace: data.workspace.id };
}

/**
 * Follows the session's events, sends the prompt, and prints the turn as it happens: the agent's
 * message to stdout, what it does to stderr. Resolves with the turn once it has ended.
 *
 * The stream is opened (from the start of the log) before the prompt is sent, so no event of the
 * turn can be missed; everything before the turn's own `turn_started` is skipped.
 */
async function streamTurn(
  conn: Connection,
  api: SessionsClient,
  id: string,
  text: string,
  format: OutputFormat,
): Promise<Turn> {
  const controller = new AbortController();
  const stream = await callSessions(conn, () => api.events(id, { signal: controller.signal }));
  const posted = callSessions(conn, () => api.prompt(id, { text })).then((d) => d.turn);
  posted.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  const printer = new TurnPrinter(format === 'table');
  const release = onInterrupt(() => {
    printer.endLine();
    process.stderr.write(`the turn goes on in the daemon; follow it with: agh session events ${id}\n`);
  });
  let turn: Turn | undefined;
  let inTurn = false;
  let answer = '';
  try {
    for await (const event of stream) {
      turn ??= await posted;
      if (!inTurn) {
        inTurn = event.type === 'turn_started' && event.data.turn_id === turn.id;
        continue;
      }
      const ours = event.data.turn_id === turn.id;
      if (event.type === 'turn_completed' && ours) {
        return finished(turn, { state: 'completed', stop_reason: str(event.data.stop_reason), text: answer });
      }
      if (event.type === 'turn_failed' && ours) {
        return finished(turn, { state: 'failed', error: str(event.data.error), text: answer });
      }
      if (event.type === 'state' && event.data.state === 'stopped') {
        return finished(turn, {
          state: 'failed',
          error: `the session stopped (${describeStop(event.data)})`,
          text: answer,
        });
      }
      if (event.type === 'agent_message') {
        const chunk = str(event.data.text) ?? '';
        answer += chunk;
        printer.message(chunk);
      } else {
        const note = turnNote(event);
        if (note !== undefined) printer.note(note);
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw lostStream(conn, id, err);
  } finally {
    release();
    controller.abort();
    printer.endLine();
  }
  turn ??= await posted;
  throw new CliError(`the event stream of session ${id} ended before turn ${turn.id} did`, {
    hint: `see where it stands with: agh session show ${id}`,
  });
}

function finished(turn: Turn, end: Omit<Turn, 'id' | 'session_id'>): Turn {
  const result: Turn = { id: turn.id, session_id: turn.session_id, state: end.state };
  if (end.stop_reason !== undefined) result.stop_reason = end.stop_reason;
  if (end.text !== undefined) result.text = end.text;
  if (end.error !== undefined) result.error = end.error;
  return result;
}

/** Writes the streamed answer to stdout and notes to stderr, keeping both readable on one terminal. */
class TurnPrinter {
  readonly #human: boolean;
  #midLine = false;

  constructor(human: boolean) {
    this.#human = human;
  }

  message(text: string): void {
    if (!this.#human || text === '') return;
    process.stdout.write(text);
    this.#midLine = !text.endsWith('\n');
  }

  note(line: string): void {
    if (!this.#human) return;
    // On a terminal both streams show in one place: a note must not land in the middle of a line.
    if (this.#midLine && process.stdout.isTTY && process.stderr.isTTY) this.endLine();
    process.stderr.write(`${line}\n`);
  }

  endLine(): void {
    if (!this.#midLine) return;
    this.#midLine = false;
    process.stdout.write('\n');
  }
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0 or more)');
  return Number(value);
}

/** Ctrl-C while a stream is open: end cleanly (optionally saying something) with the usual 130. */
function onInterrupt(last?: () => void): () => void {
  const handler = () => {
    last?.();
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** The stream broke off mid-way: the daemon went away or the connection was cut. */
function lostStream(conn: Connection, id: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message ?? String(err);
  return new CliError(`lost the event stream of session ${id} from the daemon at ${conn.url} (${cause})`, {
    hint: `see where it stands with: agh session show ${id}`,
    exitCode: 3,
  });
}
