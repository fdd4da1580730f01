import { asc, desc, inArray } from 'drizzle-orm';
import { formatDecimal } from '../../billing/decimal.ts';
import type { Executor } from '../../db/client.ts';
import {
  features,
  meters,
  type PlanQuotaRow,
  planEntitlements,
  planPrices,
  planQuotas,
  plans,
} from '../../db/schema.ts';

/**
 * The catalog as a file's content: every meter and feature, and the latest version of every
 * plan on sale, in the shape `catalog apply` reads (amounts as strings, decimals canonical).
 * Archived plans are left out: applying the file sells what it lists.
 */
export async function exportCatalog(db: Executor) {
  const meterRows = await db.select().from(meters).orderBy(asc(meters.key));
  const featureRows = await db.select().from(features).orderBy(asc(features.key));
  const latest = (
    await db.selectDistinctOn([plans.key]).from(plans).orderBy(plans.key, desc(plans.version))
  ).filter((plan) => plan.active);
  const ids = latest.map((plan) => plan.id);
  const quotas =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(planQuotas)
          .where(inArray(planQuotas.planId, ids))
          .orderBy(planQuotas.meterKey);
  const prices =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(planPrices)
          .where(inArray(planPrices.planId, ids))
          .orderBy(planPrices.interval);
  const entitlements =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(planEntitlements)
          .where(inArray(planEntitlements.planId, ids))
          .orderBy(planEntitlements.featureKey);
  return {
    meters: meterRows.map(({ key, name, unit, aggregation }) => ({ key, name, unit, aggregation })),
    features: featureRows.map(({ key, name, description }) => ({
      key,
      name,
      ...(description !== null ? { description } : {}),
    })),
    plans: latest.map((plan) => ({
      key: plan.key,
      name: plan.name,
      ...(plan.description !== null ? { description: plan.description } : {}),
      currency: plan.currency,
      prices: prices
        .filter((price) => price.planId === plan.id)
        .map((price) => ({ interval: price.interval, amount: String(price.amount) })),
      trialDays: plan.trialDays,
      ...(plan.private ? { private: true } : {}),
      quotas: quotas.filter((quota) => quota.planId === plan.id).map(quotaOfFile),
      entitlements: entitlements
        .filter((entitlement) => entitlement.planId === plan.id)
        .map((entitlement) => ({
          feature: entitlement.featureKey,
          ...(entitlement.value !== null ? { value: entitlement.value } : {}),
        })),
    })),
  };
}

/** A quota as a catalog file writes it: decimals canonical, absent fields left out. */
function quotaOfFile(quota: PlanQuotaRow) {
  return {
    meter: quota.meterKey,
    included: quota.includedQuantity === null ? null : formatDecimal(quota.includedQuantity),
    mode: quota.limitMode,
    ...(quota.overageUnitPrice !== null
      ? { overageUnitPrice: formatDecimal(quota.overageUnitPrice) }
      : {}),
    ...(quota.overageTiers
      ? {
          overageTiers: quota.overageTiers.map((tier) => ({
            upTo: tier.upTo === null ? null : formatDecimal(tier.upTo),
            unitPrice: formatDecimal(tier.unitPrice),
          })),
        }
      : {}),
  };
}
