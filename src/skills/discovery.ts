// Skills are directories holding a SKILL.md; like agents, the first root that has a name wins.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { subdirectories } from '../agents/discovery.ts';

export interface SkillInfo {
  name: string;
  dir: string;
  source: 'workspace' | 'additional' | 'global';
}

export interface SkillRoot {
  dir: string;
  source: SkillInfo['source'];
}

export async function discoverSkills(roots: readonly SkillRoot[]): Promise<SkillInfo[]> {
  const found = new Map<string, SkillInfo>();
  for (const root of roots) {
    for (const name of await subdirectories(root.dir)) {
      if (found.has(name)) continue;
      const dir = join(root.dir, name);
      if (await isFile(join(dir, 'SKILL.md'))) found.set(name, { name, dir, source: root.source });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
