// Input rules shared by the task, run and lease operations; each failure names the field and says
// what would be accepted.
import { AppError } from '../lib/errors.ts';
import { CHANNEL_PATTERN, LIMITS, type OwnerRef } from './types.ts';

export function requireTitle(title: string | null | undefined): string {
  const trimmed = (title ?? '').trim();
  if (trimmed === '') throw new AppError('task_invalid', 'title must not be empty');
  return trimmed;
}

export function checkMaxAttempts(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS.maxAttempts) {
    throw new AppError(
      'task_invalid',
      `max_attempts must be between 1 and ${LIMITS.maxAttempts}, got ${value}`,
    );
  }
  return value;
}

export function checkChannel(value: string | null | undefined, field = 'network_channel'): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (!CHANNEL_PATTERN.test(value)) {
    throw new AppError(
      'task_invalid',
      `${field} "${value}" is not a channel name: use 1-64 lowercase letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
  return value;
}

export function checkOwner(owner: OwnerRef | null | undefined): OwnerRef | null {
  if (owner === undefined || owner === null) return null;
  if (owner.ref.trim() === '') throw new AppError('task_invalid', 'owner.ref must not be empty');
  return { kind: owner.kind, ref: owner.ref.trim() };
}

/**
 * JSON payloads are bounded (metadata 16 KiB, results 64 KiB) and may never carry a claim token,
 * at any depth, so that a token cannot leak into the log through a payload.
 */
export function checkPayload(
  value: unknown,
  field: string,
  limit: number,
  code: 'task_invalid' = 'task_invalid',
): void {
  if (value === undefined) return;
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text ?? '', 'utf8');
  if (bytes > limit) {
    throw new AppError('payload_too_large', `${field} is ${bytes} bytes; the limit is ${limit} bytes`);
  }
  if (containsClaimTokenKey(value)) {
    throw new AppError(code, `${field} must not contain a "claim_token" key`);
  }
}

function containsClaimTokenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsClaimTokenKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(
    ([k, v]) => k.toLowerCase() === 'claim_token' || containsClaimTokenKey(v),
  );
}

export function checkMetadata(value: unknown, field = 'metadata'): void {
  checkPayload(value, field, LIMITS.metadataBytes);
}

export function checkResult(value: unknown): void {
  checkPayload(value, 'result', LIMITS.resultBytes);
}

export function checkLeaseSeconds(value: number | undefined): number {
  if (value === undefined || value === 0) return LIMITS.defaultLeaseSeconds;
  if (!Number.isInteger(value) || value < 0 || value > LIMITS.maxLeaseSeconds) {
    throw new AppError(
      'task_invalid',
      `lease_seconds must be between 1 and ${LIMITS.maxLeaseSeconds} (0 or absent means ${LIMITS.defaultLeaseSeconds}), got ${value}`,
    );
  }
  return value;
}

/** Messages never echo a raw claim token. */
export function redactTokens(text: string): string {
  return text.replace(/agh_claim_[A-Za-z0-9_-]+/g, 'agh_claim_[REDACTED]');
}
