import { and, eq, inArray, isNull } from 'drizzle-orm';
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

/** Most key ids in one query of `liveKeyIds`. */
const IDS_PER_QUERY = 1_000;

/** Which of these key ids name a live key (neither revoked nor deleted): one query per 1,000. */
export async function liveKeyIds(db: Database, keyIds: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  for (let start = 0; start < keyIds.length; start += IDS_PER_QUERY) {
    const rows = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(
          inArray(apiKeys.id, keyIds.slice(start, start + IDS_PER_QUERY)),
          isNull(apiKeys.revokedAt),
        ),
      );
    for (const row of rows) live.add(row.id);
  }
  return live;
}
