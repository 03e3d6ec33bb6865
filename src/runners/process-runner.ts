// The `process` runner: any command. The session is active while it runs; the agent drives its own
// work through the HTTP API with the token in its environment.
import { type AgentProcess, launchAgentProcess } from './agent-process.ts';
import {
  type LaunchSpec,
  type Runner,
  RunnerError,
  type RunnerExit,
  type StartResult,
  type TurnResult,
} from './types.ts';

export class ProcessRunner implements Runner {
  readonly kind = 'process' as const;
  readonly #spec: LaunchSpec;
  #process: AgentProcess | undefined;
  #stopRequested = false;
  #exited: Promise<RunnerExit>;
  #settleExited!: (exit: Promise<RunnerExit>) => void;

  constructor(spec: LaunchSpec) {
    this.#spec = spec;
    this.#exited = new Promise((resolve) => {
      this.#settleExited = resolve;
    });
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get exited(): Promise<RunnerExit> {
    return this.#exited;
  }

  async start(): Promise<StartResult> {
    this.#process = await launchAgentProcess(this.#spec, false);
    this.#settleExited(this.#process.exited);
    if (this.#stopRequested) {
      await this.#process.terminate();
      throw new RunnerError('startup_failure', 'the session was stopped while its agent was starting');
    }
    return {};
  }

  async prompt(): Promise<TurnResult> {
    throw new RunnerError('prompt_failure', 'process sessions take no prompts; only ACP sessions do');
  }

  async cancel(): Promise<void> {}

  async stop(): Promise<RunnerExit> {
    this.#stopRequested = true;
    if (!this.#process) return { code: null, signal: null, stderrTail: '' };
    return this.#process.terminate();
  }
}
