// One daemon per home: $AGH_HOME/daemon.lock holds the owner's pid, created exclusively at start and
// removed at shutdown. A lock whose process is gone (or is no agh daemon) is stale and taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAghDaemon, readDaemonInfo } from './daemon-file.ts';

export class DaemonAlreadyRunning extends Error {
  override name = 'DaemonAlreadyRunning';
}

export interface HomeLock {
  release(): Promise<void>;
}

export async function acquireHomeLock(home: string): Promise<HomeLock> {
  const path = join(home, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        release: async () => {
          if ((await readPid(path)) === process.pid) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readPid(path);
    if (owner !== undefined && owner !== process.pid && isAghDaemon(owner)) {
      const info = await readDaemonInfo(home);
      const where = info?.pid === owner ? ` at ${info.url}` : '';
      throw new DaemonAlreadyRunning(`another agh daemon (pid ${owner}) already serves ${home}${where}`);
    }
    await rm(path, { force: true });
  }
  throw new DaemonAlreadyRunning(`could not take ${path}: another daemon is starting at the same time`);
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
