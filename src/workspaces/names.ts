// What a workspace name may look like. Names double as route references, so they must not be
// mistaken for a path and must read well in a terminal.
import { basename } from 'node:path';
import { AppError } from '../lib/errors.ts';
import { isUlid } from '../lib/ids.ts';
import { assertStorableText } from '../lib/text.ts';

export const MAX_NAME_LENGTH = 128;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const FORBIDDEN = /[/\\\u0000-\u001f\u007f]/;

export function validateName(name: string, field = 'name'): string {
  if (name.length === 0) throw new AppError('invalid_request', `${field} must not be empty`);
  assertStorableText(name, field);
  if (name !== name.trim()) {
    throw new AppError('invalid_request', `${field} must not start or end with whitespace`);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new AppError('invalid_request', `${field} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (FORBIDDEN.test(name)) {
    throw new AppError('invalid_request', `${field} must not contain slashes or control characters`);
  }
  if (name === '.' || name === '..') throw new AppError('invalid_request', `${field} must not be "${name}"`);
  // A reference is tried as an id before it is tried as a name, so a name shaped like an id could
  // be shadowed by (or shadow) another workspace; a lone `~` is the home directory to a shell and
  // to the CLI.
  if (looksLikeId(name)) {
    throw new AppError(
      'invalid_request',
      `${field} "${name}" looks like a workspace id (ws_ and 16 hex digits, or a 26-character ULID); choose a name that does not`,
    );
  }
  if (name === '~') {
    throw new AppError('invalid_request', `${field} must not be "~" (that names the home directory)`);
  }
  return name;
}

/** A registry id (`ws_` and 16 hex digits) or a stable id (ULID): what a reference tries first. */
export function looksLikeId(value: string): boolean {
  return /^ws_[0-9a-f]{16}$/i.test(value) || isUlid(value);
}

/**
 * The name a workspace gets when none is given: the root's basename, made safe. It always passes
 * validateName, with room for a `-NN` de-duplication suffix.
 */
export function derivedName(rootDir: string): string {
  let base = basename(rootDir)
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\\\u0000-\u001f\u007f]/g, '')
    .slice(0, MAX_NAME_LENGTH - 16);
  // The cut must not leave half of a surrogate pair (an emoji) behind.
  if (/[\ud800-\udbff]$/.test(base)) base = base.slice(0, -1);
  base = base.trim();
  if (base === '' || base === '.' || base === '..') return 'workspace';
  // A directory named like an id, or `~`, still gets a usable name.
  return looksLikeId(base) || base === '~' ? `dir-${base}` : base;
}

/** Candidate names for de-duplication: `name`, `name-2`, `name-3`, … */
export function* nameCandidates(base: string): Generator<string> {
  yield base;
  for (let n = 2; ; n++) yield `${base}-${n}`;
}
