// The `process` runner: any command. The session is active while it runs; the agent drives its own
// work through the HTTP API with the token in its environment.
import { AgentProcessSlot } from './agent-process.ts';
import {
  type LaunchSpec,
  type Runner,
  RunnerError,
  type RunnerExit,
  type StartResult,
  type TurnResult,
} from '../sessions/runner.ts';

export class ProcessRunner implements Runner {
  readonly kind = 'process' as const;
  readonly #slot: AgentProcessSlot;

  constructor(spec: LaunchSpec) {
    this.#slot = new AgentProcessSlot(spec, false);
  }

  get pid(): number | undefined {
    return this.#slot.pid;
  }

  get exited(): Promise<RunnerExit> {
    return this.#slot.exited;
  }

  async start(): Promise<StartResult> {
    await this.#slot.launch();
    return {};
  }

  async prompt(): Promise<TurnResult> {
    throw new RunnerError('prompt_failure', 'process sessions take no prompts; only ACP sessions do');
  }

  async cancel(): Promise<void> {}

  stop(): Promise<RunnerExit> {
    return this.#slot.stop();
  }
}
