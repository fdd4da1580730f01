import type { Database } from '../db/client.ts';
import { hashKeySecret } from './key-secrets.ts';
import { findKeyByHash, liveKeyIds } from './key-store.ts';
import type { Principal } from './principal.ts';
import { PrincipalCache } from './principal-cache.ts';

/** Why a credential was refused, for the error message (never echoing the credential). */
type BearerResult =
  | { ok: true; principal: Principal | null }
  | { ok: false; reason: 'malformed' | 'unknown' };

export type Authenticator = ((authorization: unknown) => Promise<BearerResult>) & {
  /** Drops a revoked key from this process's memory at once. */
  forget(keyId: string): void;
  /**
   * Which of these keys no longer authenticate (revoked or deleted), asked of the database, not
   * the cache; each is forgotten here too. For connections that authenticated once (graphql-ws).
   */
  revokedAmong(keyIds: readonly string[]): Promise<string[]>;
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Reads "Bearer <key>" from an Authorization header (HTTP) or connectionParams (graphql-ws).
 * No header at all is an anonymous caller; a header that does not name a live key is refused.
 * Keys found are remembered for a few seconds (see PrincipalCache).
 */
export function createAuthenticator(db: Database, options: { cacheTtlMs: number }): Authenticator {
  const cache = new PrincipalCache({ ttlMs: options.cacheTtlMs });
  const authenticate = async (authorization: unknown): Promise<BearerResult> => {
    if (authorization === undefined || authorization === null || authorization === '') {
      return { ok: true, principal: null };
    }
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match?.[1]) return { ok: false, reason: 'malformed' };
    const keyHash = hashKeySecret(match[1]);
    const cached = cache.get(keyHash);
    if (cached) return { ok: true, principal: cached };
    const generation = cache.generation;
    const principal = await findKeyByHash(db, keyHash);
    if (!principal) return { ok: false, reason: 'unknown' };
    if (cache.generation === generation) cache.set(keyHash, principal);
    return { ok: true, principal };
  };
  const revokedAmong = async (keyIds: readonly string[]) => {
    const live = await liveKeyIds(db, keyIds);
    const revoked = keyIds.filter((keyId) => !live.has(keyId));
    for (const keyId of revoked) cache.forget(keyId);
    return revoked;
  };
  return Object.assign(authenticate, {
    forget: (keyId: string) => cache.forget(keyId),
    revokedAmong,
  });
}

export function bearerProblem(reason: 'malformed' | 'unknown'): string {
  return reason === 'malformed'
    ? 'Invalid Authorization header: expected "Bearer <key>"'
    : 'Invalid API key: unknown or revoked';
}
