import { inArray } from 'drizzle-orm';
import { Decimal } from '../../billing/decimal.ts';
import { effectiveQuota, refusedByHardLimit } from '../../billing/quota.ts';
import type { Executor } from '../../db/client.ts';
import { type PlanRow, planEntitlements, planQuotas } from '../../db/schema.ts';
import { publicPlans } from './plan-store.ts';

/**
 * Where an organization can go for what it lacks: the plans on sale, cheapest first, in its
 * currency when it has one (a subscriber never changes currency).
 */
function plansOnSale(db: Executor, currency: string | null): Promise<PlanRow[]> {
  return publicPlans(db, { includeArchived: false, currency });
}

/**
 * The cheapest plan on sale that grants the feature (with a value `enough` accepts, when
 * given: more devices than today's cap), or null when none does.
 */
export async function cheapestPlanWith(
  db: Executor,
  featureKey: string,
  currency: string | null,
  enough: (value: unknown) => boolean = () => true,
): Promise<PlanRow | null> {
  const onSale = await plansOnSale(db, currency);
  if (onSale.length === 0) return null;
  const granting = new Set(
    (
      await db
        .select({
          planId: planEntitlements.planId,
          featureKey: planEntitlements.featureKey,
          value: planEntitlements.value,
        })
        .from(planEntitlements)
        .where(
          inArray(
            planEntitlements.planId,
            onSale.map((plan) => plan.id),
          ),
        )
    )
      .filter((row) => row.featureKey === featureKey && enough(row.value ?? null))
      .map((row) => row.planId),
  );
  return onSale.find((plan) => granting.has(plan.id)) ?? null;
}

/**
 * The cheapest plan on sale whose quota of the meter would take a total of `needed` (no HARD
 * limit under it; a meter a plan does not list is unlimited there), or null when none would.
 */
export async function cheapestPlanAccepting(
  db: Executor,
  meterKey: string,
  needed: Decimal,
  currency: string | null,
): Promise<PlanRow | null> {
  const onSale = await plansOnSale(db, currency);
  if (onSale.length === 0) return null;
  const quotas = await db
    .select()
    .from(planQuotas)
    .where(
      inArray(
        planQuotas.planId,
        onSale.map((plan) => plan.id),
      ),
    );
  return (
    onSale.find((plan) => {
      const quota = quotas.find((q) => q.planId === plan.id && q.meterKey === meterKey);
      const terms = quota
        ? {
            includedQuantity: quota.includedQuantity,
            limitMode: quota.limitMode,
            overageUnitPrice: quota.overageUnitPrice,
            overageTiers: quota.overageTiers,
          }
        : null;
      return !refusedByHardLimit(effectiveQuota(terms, null), new Decimal(needed));
    }) ?? null
  );
}
