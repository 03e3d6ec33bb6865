// Launching an agent's process tree so that it can always be ended: the agent runs under
// supervise.sh as the leader of its own process group, with a lifeline to the daemon. Stopping a
// session signals the whole group; a daemon that dies (even by SIGKILL) takes the group with it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './executable.ts';
import { type LaunchSpec, RunnerError, type RunnerExit } from '../sessions/runner.ts';

const SUPERVISOR = fileURLToPath(new URL('./supervise.sh', import.meta.url));
const STDERR_TAIL_BYTES = 2048;

export const STDOUT_LOG = 'stdout.log';
export const STDERR_LOG = 'stderr.log';

export interface AgentProcess {
  readonly pid: number;
  /** Present when launched with `protocolStdio`: the agent's stdin and stdout. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly exited: Promise<RunnerExit>;
  /** SIGTERM to the group, SIGKILL after the grace period; resolves once the agent has exited. */
  terminate(): Promise<RunnerExit>;
}

/**
 * With `protocolStdio` the agent's stdin and stdout are pipes to the daemon (ACP); otherwise stdin
 * is empty and stdout goes to `stdout.log`. stderr always goes to `stderr.log`.
 */
export async function launchAgentProcess(spec: LaunchSpec, protocolStdio: boolean): Promise<AgentProcess> {
  const [program, ...args] = spec.command;
  if (program === undefined || program === '')
    throw new RunnerError('startup_failure', 'the agent command is empty');
  if (!(await isDirectory(spec.cwd))) {
    throw new RunnerError('startup_failure', `the workspace directory ${spec.cwd} does not exist any more`);
  }
  const executable = await findExecutable(program, spec.env.PATH, spec.cwd);
  if (executable === undefined) {
    const where = program.includes('/') ? '' : ' on PATH';
    throw new RunnerError(
      'startup_failure',
      `agent command not found: "${program}" is not an executable file${where}; check the command in AGENT.md or the provider's command in config.toml`,
    );
  }
  await mkdir(spec.logDir, { recursive: true, mode: 0o700 });
  const stderrPath = join(spec.logDir, STDERR_LOG);
  const stderrFd = openSync(stderrPath, 'a', 0o600);
  const stdoutFd = protocolStdio ? undefined : openSync(join(spec.logDir, STDOUT_LOG), 'a', 0o600);
  let child: ChildProcess;
  try {
    const graceSeconds = String(Math.max(1, Math.ceil(spec.graceMs / 1000)));
    child = spawn('/bin/sh', [SUPERVISOR, graceSeconds, executable, ...args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: [protocolStdio ? 'pipe' : 'ignore', protocolStdio ? 'pipe' : stdoutFd, stderrFd, 'pipe'],
    });
    await new Promise<void>((resolveSpawn, rejectSpawn) => {
      child.once('spawn', resolveSpawn);
      child.once('error', rejectSpawn);
    });
  } catch (err) {
    throw new RunnerError('startup_failure', `cannot start the agent: ${(err as Error).message}`);
  } finally {
    // The child holds its own copies of these descriptors.
    closeSync(stderrFd);
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  const pid = child.pid as number;
  // The lifeline: never written to; its only job is to close when the daemon does.
  const lifeline = child.stdio[3] as Readable | null;
  lifeline?.on('error', () => {});

  const exited = new Promise<RunnerExit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      // Leftovers of a dead agent (its own children) go too: the group must end with the agent.
      signalGroup(pid, 'SIGKILL');
      lifeline?.destroy();
      void readTail(stderrPath).then((stderrTail) => resolveExit(describeExit(code, signal, stderrTail)));
    });
  });
  let terminating: Promise<RunnerExit> | undefined;
  const terminate = () => {
    terminating ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), spec.graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return terminating;
  };
  return { pid, stdin: child.stdin, stdout: child.stdout, exited, terminate };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

/** supervise.sh reports an agent killed by signal N as status 128+N, as shells do. */
function describeExit(code: number | null, signal: string | null, stderrTail: string): RunnerExit {
  if (signal === null && code !== null && code > 128 && code < 128 + 65) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code: null, signal: name, stderrTail };
  }
  return { code, signal, stderrTail };
}

async function readTail(path: string): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, STDERR_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trim();
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A runner's one agent process: launched once, and stoppable before, during or after its launch. A
 * stop that comes while the launch is under way ends the process as soon as it exists, so no agent
 * outlives a session stopped while it was starting.
 */
export class AgentProcessSlot {
  readonly #spec: LaunchSpec;
  readonly #protocolStdio: boolean;
  #process: AgentProcess | undefined;
  #stopRequested = false;
  readonly exited: Promise<RunnerExit>;
  #settleExited!: (exit: Promise<RunnerExit>) => void;

  constructor(spec: LaunchSpec, protocolStdio: boolean) {
    this.#spec = spec;
    this.#protocolStdio = protocolStdio;
    this.exited = new Promise((resolve) => {
      this.#settleExited = resolve;
    });
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  async launch(): Promise<AgentProcess> {
    const agentProcess = await launchAgentProcess(this.#spec, this.#protocolStdio);
    this.#process = agentProcess;
    this.#settleExited(agentProcess.exited);
    if (this.#stopRequested) {
      await agentProcess.terminate();
      throw new RunnerError('startup_failure', 'the session was stopped while its agent was starting');
    }
    return agentProcess;
  }

  /** Never launched: nothing to end. */
  async stop(): Promise<RunnerExit> {
    this.#stopRequested = true;
    if (!this.#process) return { code: null, signal: null, stderrTail: '' };
    return this.#process.terminate();
  }
}
