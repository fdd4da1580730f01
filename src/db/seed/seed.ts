import { and, count, eq, isNull } from 'drizzle-orm';
import { displayPrefixOf, generateKeySecret, hashKeySecret } from '../../auth/key-secrets.ts';
import type { Database } from '../client.ts';
import { newId } from '../ids.ts';
import { apiKeys, meters, planQuotas, plans } from '../schema.ts';
import { seedMeters, seedPlans } from './default-catalog.ts';

export interface SeedResult {
  catalogSeeded: boolean;
  /** A new ADMIN key made because the database had none; to be shown once. */
  generatedAdminKey?: string;
}

/**
 * Seeds a fresh database: the catalog (only when it has no plans at all, so an ADMIN's later
 * edits are never overwritten) and a first ADMIN key.
 */
export async function seedDatabase(
  db: Database,
  options: { bootstrapAdminKey: string | undefined },
): Promise<SeedResult> {
  return db.transaction(async (tx) => {
    const [planCount] = await tx.select({ n: count() }).from(plans);
    const catalogSeeded = (planCount?.n ?? 0) === 0;
    if (catalogSeeded) {
      await tx.insert(meters).values(seedMeters).onConflictDoNothing();
      for (const plan of seedPlans) {
        const planId = newId('plan');
        await tx.insert(plans).values({
          id: planId,
          key: plan.key,
          name: plan.name,
          basePriceAmount: BigInt(plan.basePriceAmount),
          trialDays: plan.trialDays,
          features: plan.features,
        });
        await tx.insert(planQuotas).values(
          plan.quotas.map((quota) => ({
            planId,
            meterKey: quota.meterKey,
            includedQuantity: quota.included,
            limitMode: quota.mode,
            overageUnitPrice: quota.overageUnitPrice ?? null,
            overageTiers: quota.overageTiers ?? null,
          })),
        );
      }
    }

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
