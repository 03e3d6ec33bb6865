// Skills are directories holding a SKILL.md; like agents, the first root that has a name wins, and
// inside a workspace no symbolic link is followed (see agents/discovery.ts).
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DefinitionRoot, definitionDirs } from './discovery.ts';
import { compareCodeUnits } from '../lib/text.ts';

export interface SkillInfo {
  name: string;
  dir: string;
  source: 'workspace' | 'additional' | 'global';
}

export interface SkillRoot extends DefinitionRoot {
  source: SkillInfo['source'];
}

export async function discoverSkills(roots: readonly SkillRoot[]): Promise<SkillInfo[]> {
  const found = new Map<string, SkillInfo>();
  for (const root of roots) {
    for (const entry of await definitionDirs(root)) {
      if (found.has(entry.name) || entry.linked) continue;
      const file = join(entry.dir, 'SKILL.md');
      if (await isRegularFile(file, root.followLinks)) {
        found.set(entry.name, { name: entry.name, dir: entry.dir, source: root.source });
      }
    }
  }
  return [...found.values()].sort((a, b) => compareCodeUnits(a.name, b.name));
}

async function isRegularFile(path: string, followLinks: boolean): Promise<boolean> {
  try {
    return (await (followLinks ? stat(path) : lstat(path))).isFile();
  } catch {
    return false;
  }
}
