import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Aggregation } from '../../billing/aggregation.ts';
import { calendarMonthOf, type Period } from '../../billing/period.ts';
import { type EffectiveQuota, effectiveQuota, type PlanQuotaTerms } from '../../billing/quota.ts';
import type { Executor } from '../../db/client.ts';
import {
  billingSubscriptions,
  type MeterRow,
  meters,
  organizations,
  planQuotas,
  plans,
  quotaOverrides,
} from '../../db/schema.ts';

/** What applies to one meter of one organization. */
export interface MeterTerms {
  meter: MeterRow;
  aggregation: Aggregation;
  quota: EffectiveQuota;
  /** The plan's own terms, beneath any override. */
  planQuota: PlanQuotaTerms | null;
}

/** What applies to an organization's usage: its meters' quotas, currency and period. */
export interface OrganizationTerms {
  organizationId: string;
  currency: string;
  /** When the organization was created: usage dated before it has no plan to bill it by. */
  createdAt: Date;
  /** When the current subscription's period began (mid-month for a first period), if any. */
  subscriptionStart: Date | null;
  meters: Map<string, MeterTerms>;
}

/**
 * The effective quota of every meter for each organization, in one query: the override where an
 * ADMIN set one, else the quota of the subscription's plan, else unlimited.
 */
export async function loadOrganizationTerms(
  db: Executor,
  organizationIds: readonly string[],
  /** Terms as if the organizations were on this plan (previews of a plan change). */
  options: { planId?: string } = {},
): Promise<Map<string, OrganizationTerms>> {
  const result = new Map<string, OrganizationTerms>();
  if (organizationIds.length === 0) return result;
  const planId = options.planId ? sql`${options.planId}` : billingSubscriptions.planId;
  const rows = await db
    .select({
      organizationId: organizations.id,
      createdAt: organizations.createdAt,
      meter: meters,
      currency: plans.currency,
      subscriptionStart: billingSubscriptions.currentPeriodStart,
      includedQuantity: planQuotas.includedQuantity,
      planLimitMode: planQuotas.limitMode,
      planOverageUnitPrice: planQuotas.overageUnitPrice,
      planOverageTiers: planQuotas.overageTiers,
      overrideLimitQuantity: quotaOverrides.limitQuantity,
      overrideLimitMode: quotaOverrides.limitMode,
      overrideOverageUnitPrice: quotaOverrides.overageUnitPrice,
    })
    .from(organizations)
    .crossJoin(meters)
    .leftJoin(billingSubscriptions, eq(billingSubscriptions.organizationId, organizations.id))
    .leftJoin(plans, eq(plans.id, planId))
    .leftJoin(planQuotas, and(eq(planQuotas.planId, planId), eq(planQuotas.meterKey, meters.key)))
    .leftJoin(
      quotaOverrides,
      and(
        eq(quotaOverrides.organizationId, organizations.id),
        eq(quotaOverrides.meterKey, meters.key),
      ),
    )
    .where(inArray(organizations.id, [...organizationIds]))
    .orderBy(organizations.id, meters.key);

  for (const row of rows) {
    let terms = result.get(row.organizationId);
    if (!terms) {
      terms = {
        organizationId: row.organizationId,
        currency: row.currency ?? 'usd',
        createdAt: row.createdAt,
        subscriptionStart: row.subscriptionStart,
        meters: new Map(),
      };
      result.set(row.organizationId, terms);
    }
    const planQuota = row.planLimitMode
      ? {
          includedQuantity: row.includedQuantity,
          limitMode: row.planLimitMode,
          overageUnitPrice: row.planOverageUnitPrice,
          overageTiers: row.planOverageTiers,
        }
      : null;
    const override = row.overrideLimitMode
      ? {
          limitQuantity: row.overrideLimitQuantity,
          limitMode: row.overrideLimitMode,
          overageUnitPrice: row.overrideOverageUnitPrice,
        }
      : null;
    terms.meters.set(row.meter.key, {
      meter: row.meter,
      aggregation: row.meter.aggregation,
      quota: effectiveQuota(planQuota, override),
      planQuota,
    });
  }
  return result;
}

/**
 * The usage period containing `now`: its calendar month, starting later when the subscription's
 * first period began mid-month. Totals are kept per calendar month either way.
 */
export function usagePeriod(terms: OrganizationTerms, now: Date): Period {
  const month = calendarMonthOf(now);
  const start = terms.subscriptionStart;
  return start && start > month.start && start < month.end ? { start, end: month.end } : month;
}
