// Bearer credentials → a principal. Each kind of credential is one resolver; the first that
// recognises the token decides. Adding a kind (an agent API key, a console session) is one more
// resolver in the list the composition root builds, nothing else.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/errors.ts';
import { isSessionToken, sha256Hex } from '../lib/ids.ts';
import type { SessionStore } from '../sessions/store.ts';
import type { Principal } from './principal.ts';

export interface CredentialResolver {
  /**
   * The principal the token proves; undefined when the token is not of this kind. A token of this
   * kind that is refused (its session stopped, its key revoked) throws, with a cause a person can act on.
   */
  resolve(token: string): Promise<Principal | undefined>;
}

export class Credentials {
  readonly #resolvers: readonly CredentialResolver[];

  constructor(resolvers: readonly CredentialResolver[]) {
    this.#resolvers = resolvers;
  }

  /** The principal behind an `Authorization` header value; 401 when there is none or it is not accepted. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined) {
      throw new AppError(
        'unauthorized',
        'missing credentials: send "Authorization: Bearer <operator token>"',
        { suggestedCommand: 'cat "$AGH_HOME/operator.token"' },
      );
    }
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (token) {
      for (const resolver of this.#resolvers) {
        const principal = await resolver.resolve(token);
        if (principal) return principal;
      }
    }
    throw new AppError(
      'unauthorized',
      'invalid credentials: the bearer token is not accepted by this daemon',
    );
  }
}

/** The operator token: full access. Compared as digests, so the comparison is constant-time whatever the length. */
export function operatorTokenResolver(operatorToken: string): CredentialResolver {
  const expected = digest(operatorToken);
  return {
    resolve: async (token) => (timingSafeEqual(digest(token), expected) ? { kind: 'operator' } : undefined),
  };
}

/** A session's own token: valid while its session is live; only its SHA-256 is stored. */
export function sessionTokenResolver(sessions: SessionStore): CredentialResolver {
  return {
    async resolve(token) {
      if (!isSessionToken(token)) return undefined;
      const session = await sessions.findByTokenHash(sha256Hex(token));
      if (!session) {
        throw new AppError(
          'identity_stale',
          'the session token is not accepted: its session has stopped, or the token is wrong',
          { suggestedCommand: 'start or resume the AGH session, then retry' },
        );
      }
      return { kind: 'session', session, viaOperator: false };
    },
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The credentials every daemon accepts today: the operator token and live sessions' tokens. */
export function defaultCredentials(operatorToken: string, sessions: SessionStore): Credentials {
  return new Credentials([operatorTokenResolver(operatorToken), sessionTokenResolver(sessions)]);
}
