import { desc, gt, or, sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type SigningKeyRow, signingKeys } from '../../db/schema.ts';

const ALGORITHM = 'EdDSA';

/**
 * The key that signs now: the newest, until it is due for rotation; then a new one, made once
 * (serialised across instances by a transaction lock). Older keys keep verifying.
 */
export async function currentSigningKey(
  tx: Executor,
  now: Date,
  rotationMs: number,
): Promise<SigningKeyRow> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('entitlement-signing-key'))`);
  const [newest] = await tx
    .select()
    .from(signingKeys)
    .orderBy(desc(signingKeys.createdAt))
    .limit(1);
  if (newest && newest.rotatesAt > now) return newest;
  const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  });
  const kid = newId('key');
  const [made] = await tx
    .insert(signingKeys)
    .values({
      kid,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM },
      createdAt: now,
      rotatesAt: new Date(now.getTime() + rotationMs),
      lastTokenExpiresAt: now,
    })
    .returning();
  if (!made) throw new Error('the signing key was not stored');
  return made;
}

/** The public keys a verifier needs: every key that signs, or signed a token not yet expired. */
export async function publishedKeys(db: Executor, now: Date): Promise<{ keys: JWK[] }> {
  const rows = await db
    .select()
    .from(signingKeys)
    .where(or(gt(signingKeys.rotatesAt, now), gt(signingKeys.lastTokenExpiresAt, now)))
    .orderBy(desc(signingKeys.createdAt));
  return { keys: rows.map((row) => row.publicJwk as JWK) };
}
