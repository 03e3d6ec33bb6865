// Finding agent definitions on disk. Roots are searched in order and the first definition of a name
// wins, so a workspace can override a global agent of the same name.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentDefinition, MAX_AGENT_FILE_BYTES, parseAgentDefinition } from './definition.ts';
import { DEFAULT_PROVIDER } from './providers.ts';

export const AGENT_FILE = 'AGENT.md';

/**
 * `agentDirs` are directories whose children are agent directories, e.g. `<root>/.agh/agents` and
 * `$AGH_HOME/agents`. Returns definitions sorted by name.
 */
export async function discoverAgents(agentDirs: readonly string[]): Promise<AgentDefinition[]> {
  const found = new Map<string, AgentDefinition>();
  for (const dir of agentDirs) {
    for (const name of await subdirectories(dir)) {
      if (found.has(name)) continue;
      const path = join(dir, name, AGENT_FILE);
      const text = await readCapped(path);
      if (text === undefined) continue;
      if (text === TOO_LARGE) {
        found.set(name, {
          name,
          provider: DEFAULT_PROVIDER,
          prompt: '',
          diagnostics: [
            {
              error_kind: 'oversized',
              message: `${AGENT_FILE} is larger than ${MAX_AGENT_FILE_BYTES} bytes`,
              path,
            },
          ],
        });
        continue;
      }
      found.set(name, parseAgentDefinition(name, path, text));
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Names of the visible subdirectories of `dir`; none when it does not exist or cannot be read. */
export async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

const TOO_LARGE = Symbol('too large');

async function readCapped(path: string): Promise<string | typeof TOO_LARGE | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    if (info.size > MAX_AGENT_FILE_BYTES) return TOO_LARGE;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
