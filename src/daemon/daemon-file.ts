// $AGH_HOME/daemon.json tells the CLI where the running daemon listens and which process it is.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DAEMON_FILE } from './home.ts';

export interface DaemonInfo {
  pid: number;
  url: string;
  host: string;
  port: number;
  started_at: string;
  version: string;
  database: string;
}

export function daemonFilePath(home: string): string {
  return join(home, DAEMON_FILE);
}

export async function readDaemonInfo(home: string): Promise<DaemonInfo | undefined> {
  try {
    return JSON.parse(await readFile(daemonFilePath(home), 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
}

export async function writeDaemonInfo(home: string, info: DaemonInfo): Promise<void> {
  await writeFile(daemonFilePath(home), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file only when it still describes `pid`, so a newer daemon's file survives. */
export async function removeDaemonInfo(home: string, pid: number): Promise<void> {
  const info = await readDaemonInfo(home);
  if (info?.pid === pid) await rm(daemonFilePath(home), { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
