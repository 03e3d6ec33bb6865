// Small file primitives: atomic and exclusive creation (readers never see a half-written file; of
// racing creators exactly one wins), and reading a config file safely from an untrusted directory.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, open, rename, unlink, writeFile } from 'node:fs/promises';

/** Filesystems without hard links answer these; there the file is renamed into place instead. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Returns false, writing nothing, when `path` already exists. */
export async function createFileExclusive(path: string, content: string, mode: number): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode, flag: 'wx' });
  try {
    // link fails with EEXIST when the file is there already, which rename would silently replace.
    await link(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
    await rename(tmp, path);
    return true;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Replaces `path` in one step, so a concurrent reader sees the old content or the new, never half. */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

export type ReadResult =
  | { kind: 'ok'; text: string }
  | { kind: 'missing' }
  | { kind: 'symlink' }
  | { kind: 'not_regular' }
  | { kind: 'too_large'; size: number };

/**
 * Reads a small regular file without following a symbolic link in its last component and without
 * blocking on special files: a FIFO or device planted where a config file belongs must not hang a
 * request (or a libuv worker thread) forever.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<ReadResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'symlink' };
    if (code === 'ENXIO' || code === 'EISDIR') return { kind: 'not_regular' };
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { kind: 'not_regular' };
    if (info.size > maxBytes) return { kind: 'too_large', size: info.size };
    // A regular file may still grow between stat and read; never take more than the cap.
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return { kind: 'too_large', size: bytesRead };
    return { kind: 'ok', text: buffer.subarray(0, bytesRead).toString('utf8') };
  } finally {
    await handle.close();
  }
}
