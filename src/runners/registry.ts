// The harnesses this daemon can run, keyed by kind. The session manager asks the registry for a
// runner and never names an implementation, so a new harness (a remote http runner, say) is one
// registration here rather than a change to how sessions are supervised.
import { RunnerError, type Runner, type RunnerFactory, type RunnerRequest } from '../sessions/runner.ts';
import { AcpRunner } from './acp-runner.ts';
import { ProcessRunner } from './process-runner.ts';

type Builder<K extends RunnerRequest['kind']> = (request: Extract<RunnerRequest, { kind: K }>) => Runner;

export class RunnerRegistry implements RunnerFactory {
  readonly #builders = new Map<string, (request: RunnerRequest) => Runner>();

  register<K extends RunnerRequest['kind']>(kind: K, build: Builder<K>): this {
    this.#builders.set(kind, build as (request: RunnerRequest) => Runner);
    return this;
  }

  create(request: RunnerRequest): Runner {
    const build = this.#builders.get(request.kind);
    if (!build) {
      throw new RunnerError('startup_failure', `this daemon has no runner for the "${request.kind}" harness`);
    }
    return build(request);
  }
}

/** ACP agents over stdio and plain processes: what every daemon offers. */
export function defaultRunners(): RunnerRegistry {
  return new RunnerRegistry()
    .register('process', (request) => new ProcessRunner(request.launch))
    .register('acp', (request) => new AcpRunner({ launch: request.launch, ...request.acp }));
}
