// Finding agent definitions on disk. Roots are searched in order and the first definition of a name
// wins, so a workspace can override a global agent of the same name.
//
// A workspace is often a repository cloned from elsewhere, so inside it agh follows no symbolic
// link: an `AGENT.md` linked to `/etc/passwd` must not become a prompt sent to a model. The
// operator's own `$AGH_HOME` is trusted to link wherever it likes.
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readRegularFile } from '../lib/files.ts';
import {
  type AgentDefinition,
  MAX_AGENT_FILE_BYTES,
  type ParseOptions,
  parseAgentDefinition,
} from './definition.ts';
import { DEFAULT_PROVIDER } from './providers.ts';
import { compareCodeUnits } from '../lib/text.ts';

export const AGENT_FILE = 'AGENT.md';

export interface DefinitionRoot {
  /** A directory whose children are agent (or skill) directories, e.g. `<root>/.agh/agents`. */
  dir: string;
  /** False inside workspaces: links are reported, never followed. */
  followLinks: boolean;
}

export interface DefinitionEntry {
  name: string;
  dir: string;
  /** The entry is a symbolic link in a root that does not follow links. */
  linked: boolean;
}

/** Returns definitions sorted by name. */
export async function discoverAgents(
  roots: readonly DefinitionRoot[],
  options: ParseOptions = {},
): Promise<AgentDefinition[]> {
  const found = new Map<string, AgentDefinition>();
  for (const root of roots) {
    for (const entry of await definitionDirs(root)) {
      if (found.has(entry.name)) continue;
      const agent = await loadAgent(entry, root.followLinks, options);
      if (agent) found.set(entry.name, agent);
    }
  }
  return [...found.values()].sort((a, b) => compareCodeUnits(a.name, b.name));
}

/** Undefined when the directory holds no AGENT.md: it defines nothing and shadows nothing. */
export async function loadAgent(
  entry: DefinitionEntry,
  followLinks: boolean,
  options: ParseOptions = {},
): Promise<AgentDefinition | undefined> {
  const path = join(entry.dir, AGENT_FILE);
  const broken = (error_kind: string, message: string): AgentDefinition => ({
    name: entry.name,
    provider: DEFAULT_PROVIDER,
    prompt: '',
    diagnostics: [{ error_kind, message, path }],
  });
  if (entry.linked) {
    return broken('symlink', `${entry.dir} is a symbolic link; agh does not follow links inside a workspace`);
  }
  let target = path;
  if (followLinks) target = await realpath(path).catch(() => path);
  const read = await readRegularFile(target, MAX_AGENT_FILE_BYTES).catch((err: NodeJS.ErrnoException) => ({
    kind: 'unreadable' as const,
    code: err.code ?? 'error',
  }));
  switch (read.kind) {
    case 'ok':
      return parseAgentDefinition(entry.name, path, read.text, options);
    case 'missing':
      return undefined;
    case 'symlink':
      return broken(
        'symlink',
        `${AGENT_FILE} is a symbolic link; agh does not follow links inside a workspace`,
      );
    case 'not_regular':
      return broken('not_regular_file', `${AGENT_FILE} is not a regular file`);
    case 'too_large':
      return broken('oversized', `${AGENT_FILE} is larger than ${MAX_AGENT_FILE_BYTES} bytes`);
    case 'unreadable':
      return broken('unreadable', `${AGENT_FILE} cannot be read (${read.code})`);
  }
}

/**
 * The visible subdirectories of a root (none when it does not exist or cannot be read). In a root
 * that does not follow links, a root reached through a link yields nothing and linked entries come
 * back marked so that callers can say why they were not read.
 */
export async function definitionDirs(root: DefinitionRoot): Promise<DefinitionEntry[]> {
  if (!root.followLinks && (await hasLinkedParent(root.dir))) return [];
  let entries;
  try {
    entries = await readdir(root.dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const result: DefinitionEntry[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const dir = join(root.dir, e.name);
    if (e.isDirectory()) result.push({ name: e.name, dir, linked: false });
    // Only a link to a directory could have been a definition; links to files or nowhere are noise.
    else if (e.isSymbolicLink() && (await isDirectory(dir))) {
      result.push({ name: e.name, dir, linked: !root.followLinks });
    }
  }
  return result.sort((a, b) => compareCodeUnits(a.name, b.name));
}

/** True when `<root>/.agh/agents` (or its `.agh`) is a link; the root itself was canonicalised. */
export async function hasLinkedParent(dir: string): Promise<boolean> {
  for (const path of [dir, dirname(dir)]) {
    try {
      if ((await lstat(path)).isSymbolicLink()) return true;
    } catch {
      return false;
    }
  }
  return false;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
