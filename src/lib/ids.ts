// Every identifier the daemon mints comes from this module.
import { createHash, randomBytes } from 'node:crypto';
import { ulid } from 'ulid';

const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/** Registry id of a workspace: `ws_` + 16 hex characters. */
export function newWorkspaceId(): string {
  return `ws_${randomBytes(8).toString('hex')}`;
}

/** Stable, sortable identity (ULID) written into a workspace's `.agh/workspace.toml`. */
export function newStableId(now: Date): string {
  return ulid(now.getTime());
}

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}

export function newRequestId(): string {
  return `req_${randomBytes(6).toString('hex')}`;
}

/** 32 random bytes, base64url: the operator token. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** `sess-` + 16 lowercase hex characters. */
export function newSessionId(): string {
  return `sess-${randomBytes(8).toString('hex')}`;
}

export function newTurnId(): string {
  return `turn-${randomBytes(8).toString('hex')}`;
}

/** A session's bearer token; recognisable by its prefix so that it is never mistaken for the operator's. */
export function newSessionToken(): string {
  return `agh_sess_${randomBytes(32).toString('base64url')}`;
}

export function isSessionToken(token: string): boolean {
  return token.startsWith('agh_sess_');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `<prefix>-` + 16 lowercase hex characters: task, run and event ids. */
export function newPrefixedId(prefix: 'task' | 'run' | 'evt'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

/** A run's claim token: `agh_claim_` + 32 random bytes, base64url. Only its hash is ever stored. */
export function newClaimToken(): string {
  return `agh_claim_${randomBytes(32).toString('base64url')}`;
}
