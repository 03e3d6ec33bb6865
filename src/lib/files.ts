// Creating a file atomically and exclusively: readers never see it half-written, and when several
// processes race to create it, exactly one wins and the others learn so.
import { randomBytes } from 'node:crypto';
import { link, rename, unlink, writeFile } from 'node:fs/promises';

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
