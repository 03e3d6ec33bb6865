// Turning what a person typed into the one canonical directory it names.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { AppError } from '../lib/errors.ts';

export interface CanonicalDir {
  path: string;
  /** Device and inode numbers, as decimal strings (they may exceed 2^53). */
  dev: string;
  ino: string;
}

/**
 * Resolves symlinks and `..`, and checks the result is an existing directory.
 * `field` names the input in messages, e.g. `root_dir` or `add_dirs[2]`.
 */
export async function canonicalDir(input: string, field: string): Promise<CanonicalDir> {
  const entry = await canonicalEntry(input, field);
  if (!entry.directory) {
    throw new AppError('workspace_path_not_directory', `${field} "${input}" is not a directory`, {
      evidence: { [field]: input, resolved: entry.path },
    });
  }
  return { path: entry.path, dev: entry.dev, ino: entry.ino };
}

/** Like canonicalDir, for any existing file or directory. */
export async function canonicalEntry(
  input: string,
  field: string,
): Promise<CanonicalDir & { directory: boolean }> {
  if (input.length === 0) {
    throw new AppError('workspace_path_invalid', `${field} must not be empty`);
  }
  if (input.includes('\0')) {
    throw new AppError('workspace_path_invalid', `${field} must not contain a NUL character`);
  }
  if (!input.isWellFormed()) {
    throw new AppError(
      'workspace_path_invalid',
      `${field} is not well-formed Unicode (a lone surrogate cannot name a file faithfully)`,
    );
  }
  if (!isAbsolute(input)) {
    throw new AppError(
      'workspace_path_invalid',
      `${field} must be an absolute path, got "${input}" (the daemon does not know your working directory)`,
      { evidence: { [field]: input } },
    );
  }
  let path: string;
  try {
    path = await realpath(input);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new AppError('workspace_path_missing', `${field} "${input}" does not exist`, {
        evidence: { [field]: input },
      });
    }
    throw new AppError('workspace_path_invalid', `${field} "${input}" cannot be read (${code ?? 'error'})`, {
      evidence: { [field]: input },
    });
  }
  let info;
  try {
    info = await stat(path, { bigint: true });
  } catch (err) {
    // Deleted between realpath and stat.
    throw new AppError('workspace_path_missing', `${field} "${input}" does not exist`, {
      evidence: { [field]: input, code: (err as NodeJS.ErrnoException).code ?? 'error' },
    });
  }
  return { path, dev: String(info.dev), ino: String(info.ino), directory: info.isDirectory() };
}

/** The same directory on disk (reached through another mount or path), or undefined when unreachable. */
export async function sameDirectory(path: string, target: CanonicalDir): Promise<boolean> {
  try {
    const info = await stat(path, { bigint: true });
    return String(info.dev) === target.dev && String(info.ino) === target.ino;
  } catch {
    return false;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
