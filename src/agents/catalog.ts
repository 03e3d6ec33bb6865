// Which agents a workspace can run: definitions found on disk (first wins: the workspace, its extra
// dirs, then $AGH_HOME), plus the built-in `general` agent when nothing on disk takes its name.
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentDefinition } from './definition.ts';
import { type DefinitionRoot, discoverAgents, hasLinkedParent, loadAgent } from './discovery.ts';
import type { ProviderCatalog } from './providers.ts';
import { compareCodeUnits } from '../lib/text.ts';
import { BUILT_IN_AGENT } from '../settings/settings.ts';
import { discoverSkills, type SkillInfo } from './skills.ts';

export const AGENT_DIR = '.agh';
/** The built-in agent: present in every workspace, whatever its folders hold. */
export const GENERAL_AGENT_NAME = BUILT_IN_AGENT;

const GENERAL_PROMPT = [
  'You are a general-purpose software agent run by AGH in the workspace given as your working directory.',
  'Work carefully and in small steps, say what you changed and why, and stop to ask when a request is unclear.',
].join('\n');

export interface WorkspaceRoots {
  root_dir: string;
  add_dirs: readonly string[];
}

export interface ResolvedAgent {
  definition: AgentDefinition;
  /** The agent's directory (where AGENT.md and SOUL.md live); absent for built-in agents. */
  dir?: string;
  /** The root the agent was found in; links are followed only in $AGH_HOME. */
  root?: DefinitionRoot;
}

export class AgentCatalog {
  readonly #home: string;
  readonly #providers: ProviderCatalog;

  constructor(deps: { home: string; providers: ProviderCatalog }) {
    this.#home = deps.home;
    this.#providers = deps.providers;
  }

  /** Inside workspaces no link is followed; the operator's own home may link anywhere. */
  roots(workspace: WorkspaceRoots): DefinitionRoot[] {
    return [
      ...[workspace.root_dir, ...workspace.add_dirs].map((dir) => ({
        dir: join(dir, AGENT_DIR, 'agents'),
        followLinks: false,
      })),
      { dir: join(this.#home, 'agents'), followLinks: true },
    ];
  }

  /** Skills, found like agents: `.agh/skills` of the root and extra dirs, then `$AGH_HOME/skills`. */
  skills(workspace: WorkspaceRoots): Promise<SkillInfo[]> {
    const inside = (dir: string, source: 'workspace' | 'additional') => ({
      dir: join(dir, AGENT_DIR, 'skills'),
      followLinks: false,
      source,
    });
    return discoverSkills([
      inside(workspace.root_dir, 'workspace'),
      ...workspace.add_dirs.map((d) => inside(d, 'additional')),
      { dir: join(this.#home, 'skills'), followLinks: true, source: 'global' },
    ]);
  }

  async list(workspace: WorkspaceRoots): Promise<AgentDefinition[]> {
    const found = await discoverAgents(this.roots(workspace), this.#parseOptions());
    if (!found.some((a) => a.name === GENERAL_AGENT_NAME)) found.push(this.#general());
    return found.sort((a, b) => compareCodeUnits(a.name, b.name));
  }

  async find(workspace: WorkspaceRoots, name: string): Promise<ResolvedAgent | undefined> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) return undefined;
    for (const root of this.roots(workspace)) {
      if (!root.followLinks && (await hasLinkedParent(root.dir))) continue;
      const dir = join(root.dir, name);
      let linked = false;
      try {
        const info = await lstat(dir);
        if (info.isSymbolicLink()) {
          if (!(await isDirectory(dir))) continue;
          linked = !root.followLinks;
        } else if (!info.isDirectory()) continue;
      } catch {
        continue;
      }
      const definition = await loadAgent({ name, dir, linked }, root.followLinks, this.#parseOptions());
      if (definition) return { definition, dir, root };
    }
    return name === GENERAL_AGENT_NAME ? { definition: this.#general() } : undefined;
  }

  #general(): AgentDefinition {
    return { name: GENERAL_AGENT_NAME, provider: this.#providers.defaultProvider, prompt: GENERAL_PROMPT };
  }

  #parseOptions() {
    return { knownProvider: (n: string) => this.#providers.has(n) };
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
