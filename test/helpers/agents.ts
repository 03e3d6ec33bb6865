// Agent definitions for tests, pointing at the fake agents in test/fixtures (real processes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { put } from './fs.ts';

export const FAKE_ACP_AGENT = fileURLToPath(new URL('../fixtures/fake-acp-agent.ts', import.meta.url));
export const FAKE_PROCESS_AGENT = fileURLToPath(
  new URL('../fixtures/fake-process-agent.ts', import.meta.url),
);

/** The launch command of a fixture, run by this test's Node. */
export function fixtureCommand(fixture: string, ...args: string[]): string {
  return [process.execPath, fixture, ...args].map((w) => `'${w}'`).join(' ');
}

export interface AgentSpec {
  provider?: string;
  command?: string;
  permissions?: string;
  extra?: string;
  prompt?: string;
}

/** Writes `<root>/.agh/agents/<name>/AGENT.md`. */
export function putAgent(root: string, name: string, spec: AgentSpec): string {
  const lines = ['---'];
  if (spec.provider) lines.push(`provider: ${spec.provider}`);
  if (spec.command) lines.push(`command: ${JSON.stringify(spec.command)}`);
  if (spec.permissions) lines.push(`permissions: ${spec.permissions}`);
  if (spec.extra) lines.push(spec.extra);
  lines.push('---', spec.prompt ?? `You are ${name}, a test agent.`, '');
  return put(join(root, '.agh/agents', name, 'AGENT.md'), lines.join('\n'));
}

/** An ACP agent backed by the fake ACP agent; its record file is returned. */
export function putFakeAcpAgent(
  root: string,
  name: string,
  args: string[] = [],
  spec: AgentSpec = {},
): string {
  const recordFile = join(root, `.${name}-record.jsonl`);
  putAgent(root, name, {
    ...spec,
    command: fixtureCommand(FAKE_ACP_AGENT, `--record=${recordFile}`, ...args),
  });
  return recordFile;
}

export function readRecord(file: string): Array<Record<string, any>> {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  } catch {
    return [];
  }
}

/**
 * Polls `check` until it holds, for facts that announce themselves with no event (a process ending,
 * a long poll registering). The deadline only bounds a failure: it is generous, so that a busy
 * machine never turns a slow pass into a failure.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
