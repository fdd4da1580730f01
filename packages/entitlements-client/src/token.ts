/** What an entitlement token states (see the server's README, "Offline"). */
export interface EntitlementClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  plan: { key: string; version: number } | null;
  features: Record<string, unknown>;
  limits: Record<string, { limit: string | null; mode: 'HARD' | 'SOFT' | 'OVERAGE' }>;
  did?: string;
}

/** base64url, in browsers and Node alike. */
function decode(part: string): Uint8Array<ArrayBuffer> {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * Verifies a token offline with WebCrypto (no JOSE library): the EdDSA signature by the key
 * its header names in `jwks`, then issuer, audience and expiry. Throws saying what is wrong.
 */
export async function verifyEntitlementToken(
  token: string,
  jwks: { keys: JsonWebKey[] },
  expected: { issuer: string; audience: string; now: number },
): Promise<EntitlementClaims> {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) throw new Error('not a compact JWS');
  const header = JSON.parse(new TextDecoder().decode(decode(head))) as {
    alg?: string;
    kid?: string;
  };
  const jwk = jwks.keys.find((key) => (key as { kid?: string }).kid === header.kid);
  if (header.alg !== 'EdDSA' || !jwk) throw new Error('signed by an unknown key');
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['verify']);
  const signed = new TextEncoder().encode(`${head}.${body}`);
  if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, decode(signature), signed))) {
    throw new Error('the signature does not verify');
  }
  const claims = JSON.parse(new TextDecoder().decode(decode(body))) as EntitlementClaims;
  if (claims.iss !== expected.issuer) throw new Error('issued by someone else');
  if (claims.aud !== expected.audience) throw new Error('meant for someone else');
  if (claims.exp * 1000 <= expected.now) throw new Error('expired');
  return claims;
}
