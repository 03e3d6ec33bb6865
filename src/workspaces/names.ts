// What a workspace name may look like. Names double as route references, so they must not be
// mistaken for a path and must read well in a terminal.
import { basename } from 'node:path';
import { AppError } from '../lib/errors.ts';

export const MAX_NAME_LENGTH = 128;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const FORBIDDEN = /[/\\\u0000-\u001f\u007f]/;

export function validateName(name: string, field = 'name'): string {
  if (name.length === 0) throw new AppError('invalid_request', `${field} must not be empty`);
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
  return name;
}

/** The name a workspace gets when none is given: the root's basename, made safe. */
export function derivedName(rootDir: string): string {
  const base = basename(rootDir)
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\\\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, MAX_NAME_LENGTH - 8);
  return base === '' || base === '.' || base === '..' ? 'workspace' : base;
}

/** Candidate names for de-duplication: `name`, `name-2`, `name-3`, … */
export function* nameCandidates(base: string): Generator<string> {
  yield base;
  for (let n = 2; ; n++) yield `${base}-${n}`;
}
