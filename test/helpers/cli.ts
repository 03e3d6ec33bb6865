// Running the real `agh` CLI against a test daemon's home: the same few helpers for every CLI suite.
import assert from 'node:assert/strict';
import { type RunResult, runAgh } from './daemon-process.ts';

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

  return { env, agh, explain, aghJson, aghOk };
}
