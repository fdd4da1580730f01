import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  type FeatureRow,
  features,
  type MeterRow,
  meters,
  type PlanEntitlementRow,
  type PlanPriceRow,
  type PlanQuotaRow,
  type PlanRow,
  planEntitlements,
  planPrices,
  planQuotas,
  plans,
} from '../../db/schema.ts';
import { byKey, groupByKey } from '../common/batch-loading.ts';

/** Plans, their quotas, entitlements, meters and features, each batched into one query. */
export function catalogLoaders(db: Database) {
  return {
    planById: new DataLoader<string, PlanRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(plans)
        .where(inArray(plans.id, [...ids]));
      return byKey(ids, rows, (row) => row.id);
    }),
    /** MONTH before YEAR. */
    pricesByPlanId: new DataLoader<string, PlanPriceRow[]>(async (planIds) => {
      const rows = await db
        .select()
        .from(planPrices)
        .where(inArray(planPrices.planId, [...planIds]))
        .orderBy(planPrices.interval);
      return groupByKey(planIds, rows, (row) => row.planId);
    }),
    quotasByPlanId: new DataLoader<string, PlanQuotaRow[]>(async (planIds) => {
      const rows = await db
        .select()
        .from(planQuotas)
        .where(inArray(planQuotas.planId, [...planIds]))
        .orderBy(planQuotas.meterKey);
      return groupByKey(planIds, rows, (row) => row.planId);
    }),
    entitlementsByPlanId: new DataLoader<string, PlanEntitlementRow[]>(async (planIds) => {
      const rows = await db
        .select()
        .from(planEntitlements)
        .where(inArray(planEntitlements.planId, [...planIds]))
        .orderBy(planEntitlements.featureKey);
      return groupByKey(planIds, rows, (row) => row.planId);
    }),
    featureByKey: new DataLoader<string, FeatureRow | null>(async (keys) => {
      const rows = await db
        .select()
        .from(features)
        .where(inArray(features.key, [...keys]));
      return byKey(keys, rows, (row) => row.key);
    }),
    meterByKey: new DataLoader<string, MeterRow | null>(async (keys) => {
      const rows = await db
        .select()
        .from(meters)
        .where(inArray(meters.key, [...keys]));
      return byKey(keys, rows, (row) => row.key);
    }),
  };
}
