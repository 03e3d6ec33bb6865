// The stable identity of a workspace lives in the directory itself (`<root>/.agh/workspace.toml`),
// so it survives re-registration and can be recognised whatever name the registry gives it.
import { lstat, mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { AppError } from '../lib/errors.ts';
import { createFileExclusive, readRegularFile } from '../lib/files.ts';
import { isUlid, newStableId } from '../lib/ids.ts';

export const IDENTITY_DIR = '.agh';
export const IDENTITY_FILE = 'workspace.toml';
const MAX_IDENTITY_BYTES = 64 * 1024;

export interface Identity {
  stableId: string;
  /**
   * Undoes what ensureIdentity wrote, when the registration it belongs to fails. The caller must
   * first make sure no registration (of another daemon sharing the database) has adopted the id.
   */
  rollback(): Promise<void>;
}

export function identityPath(rootDir: string): string {
  return join(rootDir, IDENTITY_DIR, IDENTITY_FILE);
}

/** Reads the identity file, or writes a new one when there is none. */
export async function ensureIdentity(rootDir: string, now: Date): Promise<Identity> {
  const dir = join(rootDir, IDENTITY_DIR);
  const file = identityPath(rootDir);
  await refuseSymlink(dir);
  const existing = await readIdentity(file);
  if (existing) return { stableId: existing, rollback: async () => {} };

  const stableId = newStableId(now);
  const content = stringify({
    workspace_id: stableId,
    created_at: now.toISOString(),
    realpath_at_creation: rootDir,
  });
  let createdDir = false;
  try {
    await mkdir(dir, { mode: 0o755 });
    createdDir = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(file, err);
  }
  // Exclusive creation: when two daemons register the same directory, they agree on one identity.
  let created: boolean;
  try {
    created = await createFileExclusive(file, `${content}\n`, 0o644);
  } catch (err) {
    if (createdDir) await rmdir(dir).catch(() => {});
    throw unwritable(file, err);
  }
  if (!created) {
    const winner = await readIdentity(file);
    if (winner) return { stableId: winner, rollback: async () => {} };
    throw unwritable(file, new Error('the file appeared but holds no identity'));
  }
  return {
    stableId,
    rollback: async () => {
      // Only undo our own file: another registration may have adopted it meanwhile.
      if ((await readIdentity(file).catch(() => undefined)) !== stableId) return;
      await rm(file, { force: true });
      if (createdDir) await rmdir(dir).catch(() => {});
    },
  };
}

/** A `.agh` that is a symbolic link would make agh read and write its identity outside the root. */
async function refuseSymlink(dir: string): Promise<void> {
  try {
    if (!(await lstat(dir)).isSymbolicLink()) return;
  } catch {
    return;
  }
  throw new AppError(
    'workspace_identity_unwritable',
    `${dir} is a symbolic link; agh keeps the workspace identity only in a real directory inside the workspace, so replace the link with a directory`,
    { evidence: { file: dir, code: 'symlink' } },
  );
}

async function readIdentity(file: string): Promise<string | undefined> {
  let text: string;
  let read: Awaited<ReturnType<typeof readRegularFile>>;
  try {
    read = await readRegularFile(file, MAX_IDENTITY_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError('workspace_identity_malformed', `cannot read ${file} (${code ?? 'error'})`);
  }
  switch (read.kind) {
    case 'ok':
      text = read.text;
      break;
    case 'missing':
      return undefined;
    case 'symlink':
      throw malformed(file, 'it is a symbolic link; agh reads only a regular file there');
    case 'not_regular':
      throw malformed(file, 'it is not a regular file');
    case 'too_large':
      throw malformed(file, `it is ${read.size} bytes, more than an identity file ever holds`);
  }
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (err) {
    throw malformed(file, (err as Error).message.split('\n')[0] ?? 'invalid TOML');
  }
  const id = data.workspace_id;
  if (typeof id !== 'string' || !isUlid(id))
    throw malformed(file, 'workspace_id must be a 26-character ULID');
  return id.toUpperCase();
}

function malformed(file: string, why: string): AppError {
  return new AppError(
    'workspace_identity_malformed',
    `${file} is malformed (${why}); fix it or delete it so that agh writes a new one`,
    { evidence: { file } },
  );
}

function unwritable(file: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new AppError(
    'workspace_identity_unwritable',
    `cannot write the workspace identity file ${file} (${code}); agh keeps a stable id there, so the directory must be writable`,
    { evidence: { file, code } },
  );
}
