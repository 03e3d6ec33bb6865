// The `acp` runner: an agent CLI spoken to over the Agent Client Protocol on its stdio. The daemon
// is the protocol's client: it starts the agent, opens one ACP session in the workspace, sends
// prompts as turns, and serves what the agent asks of a client (files, permissions).
import { Readable, Writable } from 'node:stream';
import {
  client,
  type ClientConnection,
  methods,
  ndJsonStream,
  PROTOCOL_VERSION,
  RequestError,
  type RequestPermissionRequest,
  type RequestPermissionResponse,
  type SessionUpdate,
} from '@agentclientprotocol/sdk';
import { VERSION } from '../lib/version.ts';
import { type AgentProcess, AgentProcessSlot } from './agent-process.ts';
import { ConfinedFiles, FileAccessError } from './confined-files.ts';
import {
  type AcpLaunch,
  type LaunchSpec,
  type Runner,
  RunnerError,
  type RunnerExit,
  type StartResult,
  type TurnResult,
  describeExit,
  withStderr,
} from '../sessions/runner.ts';

export interface AcpRunnerOptions extends AcpLaunch {
  launch: LaunchSpec;
}

const READ_ONLY_KINDS = new Set(['read', 'search', 'think', 'fetch']);

export class AcpRunner implements Runner {
  readonly kind = 'acp' as const;
  readonly #options: AcpRunnerOptions;
  readonly #files: ConfinedFiles;
  readonly #slot: AgentProcessSlot;
  #process: AgentProcess | undefined;
  #conn: ClientConnection | undefined;
  #sessionId: string | undefined;
  #turnText: string[] | undefined;
  #cancelling = false;
  readonly #pendingPermissions = new Set<(r: RequestPermissionResponse) => void>();

  constructor(options: AcpRunnerOptions) {
    this.#options = options;
    this.#files = new ConfinedFiles(options.fileRoots, {
      deny: options.deniedDirs,
      writable: options.permissionMode === 'approve_all',
      readOnlyReason: `the agent's permission mode is ${options.permissionMode}`,
    });
    this.#slot = new AgentProcessSlot(options.launch, true);
  }

  get pid(): number | undefined {
    return this.#slot.pid;
  }

  get exited(): Promise<RunnerExit> {
    return this.#slot.exited;
  }

  async start(): Promise<StartResult> {
    const agentProcess = await this.#slot.launch();
    this.#process = agentProcess;
    const stdin = agentProcess.stdin as Writable;
    stdin.on('error', () => {}); // EPIPE when the agent dies; the exit is reported separately.
    const stream = ndJsonStream(
      Writable.toWeb(stdin) as WritableStream<Uint8Array>,
      Readable.toWeb(agentProcess.stdout as Readable) as ReadableStream<Uint8Array>,
    );
    const conn = this.#clientApp().connect(stream);
    this.#conn = conn;
    // EOF may never come if a grandchild still holds the pipe: the exit closes the connection.
    void agentProcess.exited.then(() => conn.close(new Error('the agent process exited')));

    try {
      const started = await this.#withDeadline(async () => {
        const init = await conn.agent.request(methods.agent.initialize, {
          protocolVersion: PROTOCOL_VERSION,
          clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
          clientInfo: { name: 'agh', version: VERSION },
        });
        const created = await conn.agent.request(methods.agent.session.new, {
          cwd: this.#options.launch.cwd,
          additionalDirectories: this.#options.additionalDirectories,
          mcpServers: this.#options.mcpServers,
        });
        this.#sessionId = created.sessionId;
        const result: StartResult = {
          acp_session_id: created.sessionId,
          acp_caps: { supports_load_session: init.agentCapabilities?.loadSession === true },
        };
        const modes = created.modes?.availableModes.map((m) => m.id);
        if (modes && modes.length > 0 && result.acp_caps) result.acp_caps.supported_modes = modes;
        return result;
      });
      return started;
    } catch (err) {
      const exit = await this.stop();
      throw await this.#explainStartFailure(err, exit);
    }
  }

  async prompt(text: string): Promise<TurnResult> {
    const conn = this.#conn;
    const sessionId = this.#sessionId;
    if (!conn || !sessionId) throw new RunnerError('prompt_failure', 'the agent has not been started');
    this.#turnText = [];
    this.#cancelling = false;
    try {
      const response = await conn.agent.request(methods.agent.session.prompt, {
        sessionId,
        prompt: [{ type: 'text', text }],
      });
      return { stopReason: response.stopReason, text: this.#turnText.join('') };
    } catch (err) {
      if (err instanceof RequestError) {
        throw new RunnerError(
          'prompt_failure',
          `the agent refused the prompt: ${err.message} (code ${err.code})`,
        );
      }
      const exit = await Promise.race([this.#slot.exited, delay(1000).then(() => undefined)]);
      throw new RunnerError(
        'process_exit',
        exit
          ? `the agent exited during the turn: ${describeExit(exit)}`
          : `the connection to the agent closed during the turn`,
      );
    } finally {
      this.#turnText = undefined;
    }
  }

  async cancel(): Promise<void> {
    this.#cancelling = true;
    for (const answer of this.#pendingPermissions) answer({ outcome: { outcome: 'cancelled' } });
    this.#pendingPermissions.clear();
    if (this.#conn && this.#sessionId && !this.#conn.signal.aborted) {
      await this.#conn.agent
        .notify(methods.agent.session.cancel, { sessionId: this.#sessionId })
        .catch(() => {});
    }
  }

  async stop(): Promise<RunnerExit> {
    this.#conn?.close();
    this.#process?.stdin?.end();
    return this.#slot.stop();
  }

  #clientApp() {
    const emit = this.#options.onEvent;
    return client({ name: 'agh' })
      .onNotification(methods.client.session.update, ({ params }) => {
        this.#onUpdate(params.update);
      })
      .onRequest(methods.client.fs.readTextFile, async ({ params }) => {
        try {
          const content = await this.#files.read(params.path, params.line, params.limit);
          emit({ type: 'file_read', data: { path: params.path, bytes: Buffer.byteLength(content) } });
          return { content };
        } catch (err) {
          throw this.#fileError('file_read', params.path, err);
        }
      })
      .onRequest(methods.client.fs.writeTextFile, async ({ params }) => {
        try {
          await this.#files.write(params.path, params.content);
          emit({ type: 'file_write', data: { path: params.path, bytes: Buffer.byteLength(params.content) } });
          return {};
        } catch (err) {
          throw this.#fileError('file_write', params.path, err);
        }
      })
      .onRequest(methods.client.session.requestPermission, ({ params, signal }) =>
        this.#decide(params, signal),
      );
  }

  #onUpdate(update: SessionUpdate): void {
    const emit = this.#options.onEvent;
    switch (update.sessionUpdate) {
      case 'agent_message_chunk':
        if (update.content.type === 'text') {
          this.#turnText?.push(update.content.text);
          emit({ type: 'agent_message', data: { text: update.content.text } });
        }
        return;
      case 'agent_thought_chunk':
        if (update.content.type === 'text')
          emit({ type: 'agent_thought', data: { text: update.content.text } });
        return;
      case 'tool_call':
      case 'tool_call_update':
        emit({
          type: update.sessionUpdate,
          data: compact({
            tool_call_id: update.toolCallId,
            title: update.title,
            kind: update.kind,
            status: update.status,
          }),
        });
        return;
      case 'plan':
        emit({ type: 'plan', data: { entries: update.entries } });
        return;
      default:
        emit({ type: 'acp_update', data: { kind: update.sessionUpdate } });
    }
  }

  /** Nobody sits at the session to click: the agent's permission mode answers. */
  #decide(
    params: RequestPermissionRequest,
    signal: AbortSignal,
  ): Promise<RequestPermissionResponse> | RequestPermissionResponse {
    const mode = this.#options.permissionMode;
    const kind = params.toolCall.kind ?? 'other';
    const allow = mode === 'approve_all' || (mode === 'read_only' && READ_ONLY_KINDS.has(kind));
    const wanted = allow ? ['allow_once', 'allow_always'] : ['reject_once', 'reject_always'];
    const option = params.options.find((o) => wanted.includes(o.kind));
    const record = (decision: string) =>
      this.#options.onEvent({
        type: 'permission',
        data: compact({ title: params.toolCall.title ?? undefined, tool_kind: kind, decision, mode }),
      });
    if (this.#cancelling || signal.aborted) {
      record('cancelled');
      return { outcome: { outcome: 'cancelled' } };
    }
    if (!option) {
      record('cancelled');
      return { outcome: { outcome: 'cancelled' } };
    }
    record(allow ? 'allowed' : 'rejected');
    return { outcome: { outcome: 'selected', optionId: option.optionId } };
  }

  #fileError(type: string, path: string, err: unknown): RequestError {
    const message = err instanceof Error ? err.message : String(err);
    this.#options.onEvent({ type, data: { path, refused: message } });
    if (err instanceof FileAccessError && err.reason === 'missing')
      return RequestError.resourceNotFound(path);
    return RequestError.invalidParams({ path }, message);
  }

  async #withDeadline<T>(job: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RunnerError(
              'handshake_failure',
              `the agent did not finish the ACP handshake within ${Math.round(this.#options.startTimeoutMs / 1000)} s`,
            ),
          ),
        this.#options.startTimeoutMs,
      );
    });
    try {
      return await Promise.race([job(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #explainStartFailure(err: unknown, exit: RunnerExit): Promise<RunnerError> {
    if (err instanceof RunnerError) {
      return new RunnerError(err.kind, withStderr(err.message, exit));
    }
    if (err instanceof RequestError) {
      return new RunnerError(
        'handshake_failure',
        `the agent rejected the ACP handshake: ${err.message} (code ${err.code})`,
      );
    }
    return new RunnerError(
      'process_exit',
      `the agent exited before the ACP handshake finished: ${describeExit(exit)}`,
    );
  }
}

function compact(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== null));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
