// Checks every free-text input shares. A lone UTF-16 surrogate (legal in JSON, "\ud800") cannot be
// stored faithfully: SQLite and PostgreSQL would keep U+FFFD instead, so the value read back would
// not be the value written. A NUL cannot be stored in PostgreSQL text at all.
import { AppError } from './errors.ts';

/** Throws invalid_request naming `field` when `value` is not text the store can keep exactly. */
export function assertStorableText(value: string, field: string): void {
  if (value.includes('\0'))
    throw new AppError('invalid_request', `${field} must not contain a NUL character`);
  if (!value.isWellFormed()) {
    throw new AppError(
      'invalid_request',
      `${field} is not well-formed Unicode (it contains a lone surrogate such as \\ud800)`,
    );
  }
}

/**
 * Locale-independent ordering (UTF-16 code units), so that lists come out the same whatever the
 * machine's locale or the database's collation.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
