import { and, count, eq, isNull } from 'drizzle-orm';
import { displayPrefixOf, generateKeySecret, hashKeySecret } from '../../auth/key-secrets.ts';
import type { Database, Executor } from '../client.ts';
import { newId } from '../ids.ts';
import { apiKeys } from '../schema.ts';

export interface SeedResult {
  catalogSeeded: boolean;
  /** A new ADMIN key made because the database had none; to be shown once. */
  generatedAdminKey?: string;
}

export interface SeedOptions {
  bootstrapAdminKey: string | undefined;
  /**
   * Gives a fresh database its catalog (the default catalog file, see resolvers/catalog), in the
   * seeding transaction; answers whether it did. Passed in because the catalog's rules live above
   * the database layer.
   */
  seedCatalog: (db: Executor) => Promise<boolean>;
}

/** Seeds a fresh database: its catalog (never over an existing one) and a first ADMIN key. */
export async function seedDatabase(db: Database, options: SeedOptions): Promise<SeedResult> {
  return db.transaction(async (tx) => {
    const catalogSeeded = await options.seedCatalog(tx);

    if (options.bootstrapAdminKey) {
      // The configured key becomes (or stays) an ADMIN key.
      await tx
        .insert(apiKeys)
        .values({
          id: newId('key'),
          role: 'ADMIN',
          keyHash: hashKeySecret(options.bootstrapAdminKey),
          displayPrefix: displayPrefixOf(options.bootstrapAdminKey),
        })
        .onConflictDoNothing({ target: apiKeys.keyHash });
      return { catalogSeeded };
    }

    const [adminCount] = await tx
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.role, 'ADMIN'), isNull(apiKeys.revokedAt)));
    if ((adminCount?.n ?? 0) > 0) return { catalogSeeded };

    const secret = generateKeySecret();
    await tx.insert(apiKeys).values({
      id: newId('key'),
      role: 'ADMIN',
      keyHash: hashKeySecret(secret),
      displayPrefix: displayPrefixOf(secret),
    });
    return { catalogSeeded, generatedAdminKey: secret };
  });
}
