import type { Principal } from '../context.ts';
import type { Database } from '../db/client.ts';
import { authenticate } from '../resolvers/api-keys.ts';

/** Why a credential was refused, for the error message (never echoing the credential). */
export type BearerResult =
  | { ok: true; principal: Principal | null }
  | { ok: false; reason: 'malformed' | 'unknown' };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Reads "Bearer <key>" from an Authorization header (HTTP) or connectionParams (graphql-ws).
 * No header at all is an anonymous caller; a header that does not name a live key is refused.
 */
export async function principalFromAuthorization(
  db: Database,
  authorization: unknown,
): Promise<BearerResult> {
  if (authorization === undefined || authorization === null || authorization === '') {
    return { ok: true, principal: null };
  }
  const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
  if (!match?.[1]) return { ok: false, reason: 'malformed' };
  const principal = await authenticate(db, match[1]);
  return principal ? { ok: true, principal } : { ok: false, reason: 'unknown' };
}

export function bearerProblem(reason: 'malformed' | 'unknown'): string {
  return reason === 'malformed'
    ? 'Invalid Authorization header: expected "Bearer <key>"'
    : 'Invalid API key: unknown or revoked';
}
