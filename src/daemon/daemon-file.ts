// $AGH_HOME/daemon.json tells the CLI where the running daemon listens and which process it is.
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/files.ts';
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
  await writeFileAtomic(daemonFilePath(home), `${JSON.stringify(info, null, 2)}\n`, 0o600);
}

/** Removes the file only when it still describes `pid`, so a newer daemon's file survives. */
export async function removeDaemonInfo(home: string, pid: number): Promise<void> {
  const info = await readDaemonInfo(home);
  if (info?.pid === pid) await rm(daemonFilePath(home), { force: true });
}

/** True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // The state letter follows the parenthesised command name in /proc/<pid>/stat.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * True when `pid` is alive and, where /proc tells, runs the agh daemon: a pid left in a file by a
 * daemon that died may since belong to an unrelated process, which must never be signalled.
 */
export function isAghDaemon(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const args = cmdline.split('\0');
  return args.some((a) => a.endsWith('main.ts')) && args.includes('daemon') && args.includes('start');
}
