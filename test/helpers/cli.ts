// Running the real `agh` CLI against a test daemon's home: the same few helpers for every CLI suite.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { AGH_BIN, aghEnv, type ExitStatus, type RunResult, runAgh } from './daemon-process.ts';

/** An agh child that runs until it exits on its own (for following streams). */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<ExitStatus>;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** `home` is read at call time: suites create their home in `before`. */
export function cliFor(home: () => string) {
  /** The environment of a CLI call: the daemon's home (and a port the CLI never binds). */
  const env = (extra: Record<string, string> = {}) => ({ AGH_HOME: home(), AGH_HTTP_PORT: '0', ...extra });

  const agh = (args: string[], options: CliOptions = {}) =>
    runAgh(args, { cwd: options.cwd, env: env(options.env) });

  const explain = (args: string[], res: RunResult) =>
    `agh ${args.join(' ')} → ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`;

  /** Runs agh, expects exit 0, and parses its JSON output. */
  async function aghJson<T = any>(args: string[], options: CliOptions = {}): Promise<T> {
    const res = await agh([...args, '-o', 'json'], options);
    assert.equal(res.code, 0, explain(args, res));
    return JSON.parse(res.stdout) as T;
  }

  /** Runs agh, expects exit 0, and returns its output. */
  async function aghOk(args: string[], options: CliOptions = {}): Promise<RunResult> {
    const res = await agh(args, options);
    assert.equal(res.code, 0, explain(args, res));
    return res;
  }

  const running = new Set<ChildProcess>();

  /** Starts agh in the background; `killRunning` ends whatever is left at the end of a suite. */
  function start(args: string[]): Running {
    const child = spawn(AGH_BIN, args, {
      cwd: tmpdir(),
      env: aghEnv(env()),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const exited = new Promise<ExitStatus>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    return { child, stdout: () => stdout, stderr: () => stderr, exited };
  }

  function killRunning(): void {
    for (const child of running)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  return { env, agh, explain, aghJson, aghOk, start, killRunning };
}
