import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { apiKeys } from '../db/schema.ts';
import type { Principal } from './principal.ts';

/** The live key with this secret hash, or null when it is unknown or revoked. */
export async function findKeyByHash(db: Database, keyHash: string): Promise<Principal | null> {
  const [key] = await db
    .select({ id: apiKeys.id, role: apiKeys.role, organizationId: apiKeys.organizationId })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
    .limit(1);
  return key ? { keyId: key.id, role: key.role, organizationId: key.organizationId } : null;
}
