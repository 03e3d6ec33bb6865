// The files an ACP agent may read and write through the client side of the protocol: only inside
// the session's workspace roots, and never through a symbolic link (a link inside a cloned
// repository must not become a way out of it). Paths are canonical when they equal their realpath.
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, relative, sep } from 'node:path';
import { readRegularFile } from '../lib/files.ts';
import { isWithin } from '../lib/paths.ts';

export const MAX_AGENT_READ_BYTES = 10 * 1024 * 1024;

export class FileAccessError extends Error {
  readonly reason: 'outside' | 'link' | 'missing' | 'not_regular' | 'too_large' | 'relative' | 'denied';
  constructor(reason: FileAccessError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface ConfinementOptions {
  /** Directories never reachable even inside a root (the daemon's home: its token, its database). */
  deny?: readonly string[];
  /** False when the agent's permission mode does not allow it to change files. */
  writable?: boolean;
  /** Why writing is refused, for the message. */
  readOnlyReason?: string;
}

export class ConfinedFiles {
  readonly #roots: readonly string[];
  readonly #deny: readonly string[];
  readonly #writable: boolean;
  readonly #readOnlyReason: string;

  /** `roots` are canonical absolute directories. */
  constructor(roots: readonly string[], options: ConfinementOptions = {}) {
    this.#roots = roots.map((r) => normalize(r));
    this.#deny = (options.deny ?? []).map((d) => normalize(d));
    this.#writable = options.writable ?? true;
    this.#readOnlyReason = options.readOnlyReason ?? 'writing is not allowed';
  }

  get roots(): readonly string[] {
    return this.#roots;
  }

  /** `line` is 1-based; `limit` counts lines. */
  async read(path: string, line?: number | null, limit?: number | null): Promise<string> {
    const target = this.#inside(path);
    await this.#assertNoLinks(dirname(target));
    await assertSingleLink(target);
    const result = await readRegularFile(target, MAX_AGENT_READ_BYTES);
    switch (result.kind) {
      case 'missing':
        throw new FileAccessError('missing', `${target} does not exist`);
      case 'symlink':
        throw new FileAccessError('link', `${target} is a symbolic link; links are not followed`);
      case 'not_regular':
        throw new FileAccessError('not_regular', `${target} is not a regular file`);
      case 'too_large':
        throw new FileAccessError('too_large', `${target} is larger than ${MAX_AGENT_READ_BYTES} bytes`);
      case 'ok':
        break;
    }
    if (line == null && limit == null) return result.text;
    const lines = result.text.split('\n');
    const start = Math.max(0, (line ?? 1) - 1);
    return lines.slice(start, limit == null ? undefined : start + limit).join('\n');
  }

  async write(path: string, content: string): Promise<void> {
    const target = this.#inside(path);
    if (!this.#writable)
      throw new FileAccessError('denied', `cannot write ${target}: ${this.#readOnlyReason}`);
    // An agent must not rewrite agent definitions, souls or workspace settings, its own included.
    // Any .agh below a root counts: a nested workspace keeps its definitions there too.
    if (
      this.#roots.some((root) => isWithin(root, target) && relative(root, target).split(sep).includes('.agh'))
    ) {
      throw new FileAccessError(
        'denied',
        `cannot write ${target}: .agh holds agent definitions and settings, which agents may not change`,
      );
    }
    const parent = dirname(target);
    await this.#assertNoLinks(await deepestExisting(parent));
    await mkdir(parent, { recursive: true });
    await this.#assertNoLinks(parent);
    let handle;
    try {
      // Not truncated yet: a file with several links may be somebody else's file.
      handle = await open(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o644,
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new FileAccessError('link', `${target} is a symbolic link; links are not followed`);
      if (code === 'ENXIO' || code === 'EISDIR')
        throw new FileAccessError('not_regular', `${target} is not a regular file`);
      throw err;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new FileAccessError('not_regular', `${target} is not a regular file`);
      if (info.nlink > 1) throw hardLinked(target);
      await handle.truncate(0);
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  }

  #inside(path: string): string {
    if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0')) {
      throw new FileAccessError('relative', `"${path}" is not an absolute path`);
    }
    const target = normalize(path);
    if (this.#deny.some((dir) => isWithin(dir, target))) {
      throw new FileAccessError('denied', `${target} is inside the AGH home, which agents may not touch`);
    }
    if (!this.#roots.some((root) => isWithin(root, target))) {
      throw new FileAccessError(
        'outside',
        `${target} is outside the session's workspace (${this.#roots.join(', ')})`,
      );
    }
    return target;
  }

  /** A directory inside a root whose realpath differs from itself was reached through a link. */
  async #assertNoLinks(dir: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      throw new FileAccessError('missing', `${dir} does not exist`);
    }
    if (real !== dir)
      throw new FileAccessError('link', `${dir} goes through a symbolic link; links are not followed`);
  }
}

function hardLinked(target: string): FileAccessError {
  return new FileAccessError(
    'link',
    `${target} has other hard links; it may be a file outside the workspace`,
  );
}

async function assertSingleLink(target: string): Promise<void> {
  let info;
  try {
    info = await lstat(target);
  } catch {
    return; // Missing: the read reports it.
  }
  if (info.isFile() && info.nlink > 1) throw hardLinked(target);
}

async function deepestExisting(dir: string): Promise<string> {
  let current = dir;
  for (;;) {
    try {
      await realpath(current);
      return current;
    } catch {
      const up = dirname(current);
      if (up === current) return current;
      current = up;
    }
  }
}
