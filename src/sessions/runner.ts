// One interface for every way a session's agent runs. The session manager drives runners through it
// and never knows which protocol is behind.
import type { McpServer } from '@agentclientprotocol/sdk';
import type { PermissionMode } from '../agents/definition.ts';
import type { AcpCapabilities, FailureKind, RunnerKind } from './types.ts';

export interface RunnerEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface RunnerExit {
  code: number | null;
  signal: string | null;
  /** The last lines the agent wrote to stderr, for a person reading why it died. */
  stderrTail: string;
}

/** Why a start or a turn failed, in words a person understands. */
export class RunnerError extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = 'RunnerError';
    this.kind = kind;
  }
}

export interface StartResult {
  acp_session_id?: string;
  acp_caps?: AcpCapabilities;
}

export interface TurnResult {
  /** ACP stop reason: end_turn, max_tokens, max_turn_requests, refusal, cancelled. */
  stopReason: string;
  /** The agent's text for this turn (the chunks of its message, joined). */
  text: string;
}

export interface LaunchSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** `$AGH_HOME/sessions/<id>`: stdout/stderr logs go here. */
  logDir: string;
  /** How long SIGTERM gets before SIGKILL. */
  graceMs: number;
}

export interface Runner {
  readonly kind: RunnerKind;
  readonly pid: number | undefined;
  /** Launches the agent; resolves when it can take prompts (ACP) or is running (process). */
  start(): Promise<StartResult>;
  /** One turn. Rejects with a RunnerError when the turn cannot complete. */
  prompt(text: string): Promise<TurnResult>;
  /** Asks the agent to end the current turn early. */
  cancel(): Promise<void>;
  /** Ends the agent's whole process tree: SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<RunnerExit>;
  /** Settles when the agent's process has exited, for whatever reason. */
  readonly exited: Promise<RunnerExit>;
}

export type RunnerEventSink = (event: RunnerEvent) => void;

/** How an agent process ended, for a person: the exit status or signal and its last stderr line. */
export function describeExit(exit: RunnerExit): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
  return withStderr(how, exit);
}

/** The agent's last line on stderr, leaving out what the supervising shell says about signals. */
export function withStderr(message: string, exit: RunnerExit): string {
  const lastLine = exit.stderrTail
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^(\S+: \d+: )?(Terminated|Killed)$/.test(l.trim()))
    .pop();
  return lastLine ? `${message}; its last words on stderr: ${lastLine.slice(0, 300)}` : message;
}

/** What an ACP runner needs beyond the launch: the client side of the protocol, confined. */
export interface AcpLaunch {
  /** The workspace's extra dirs; `launch.cwd` is its root. */
  additionalDirectories: string[];
  mcpServers: McpServer[];
  permissionMode: PermissionMode;
  /** Where the agent may read and write files through the client. */
  fileRoots: string[];
  /** Never reachable through the client, even inside a root: the daemon's home. */
  deniedDirs: string[];
  /** How long initialize + session/new may take before the start counts as failed. */
  startTimeoutMs: number;
  onEvent: RunnerEventSink;
}

/** One session's agent to run, by harness. */
export type RunnerRequest =
  { kind: 'process'; launch: LaunchSpec } | { kind: 'acp'; launch: LaunchSpec; acp: AcpLaunch };

/**
 * Builds the runner for a harness. The session manager only knows this port; the composition root
 * hands it the registry of the harnesses this daemon offers.
 */
export interface RunnerFactory {
  create(request: RunnerRequest): Runner;
}
