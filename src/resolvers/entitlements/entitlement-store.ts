import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import {
  billingSubscriptions,
  featureOverrides,
  planEntitlements,
  plans,
} from '../../db/schema.ts';
import { freePlan } from '../catalog/plan-store.ts';

/** What an organization may use of one feature, and why. */
export interface Entitlement {
  featureKey: string;
  enabled: boolean;
  /** The grant's value (e.g. { "participants": 25 }); null for an on/off feature. */
  value: unknown;
  source: 'PLAN' | 'OVERRIDE';
  /** When an override lapses; null for the plan's grants and lasting overrides. */
  expiresAt: Date | null;
}

/**
 * The plan whose grants apply: the subscription's version, except that a CANCELED
 * subscription grants only what the free plan of its currency does. PAST_DUE keeps its plan's
 * (dunning restrictions are the dunning policy's to decide).
 */
async function grantingPlanId(db: Executor, organizationId: string): Promise<string | null> {
  const [row] = await db
    .select({
      planId: billingSubscriptions.planId,
      status: billingSubscriptions.status,
      currency: plans.currency,
    })
    .from(billingSubscriptions)
    .innerJoin(plans, eq(plans.id, billingSubscriptions.planId))
    .where(eq(billingSubscriptions.organizationId, organizationId));
  if (!row) return null;
  if (row.status !== 'CANCELED') return row.planId;
  return (await freePlan(db, row.currency))?.id ?? null;
}

/**
 * An organization's entitlements at `now`, by feature key: its plan's grants, each replaced by
 * the organization's override while that lasts (an override can grant what the plan does not,
 * or withdraw what it does).
 */
export async function entitlementsOf(
  db: Executor,
  organizationId: string,
  now: Date,
): Promise<Entitlement[]> {
  const planId = await grantingPlanId(db, organizationId);
  const [granted, overrides] = await Promise.all([
    planId
      ? db.select().from(planEntitlements).where(eq(planEntitlements.planId, planId))
      : Promise.resolve([]),
    db
      .select()
      .from(featureOverrides)
      .where(
        and(
          eq(featureOverrides.organizationId, organizationId),
          or(isNull(featureOverrides.expiresAt), gt(featureOverrides.expiresAt, now)),
        ),
      ),
  ]);
  const byFeature = new Map<string, Entitlement>();
  for (const grant of granted) {
    byFeature.set(grant.featureKey, {
      featureKey: grant.featureKey,
      enabled: true,
      value: grant.value ?? null,
      source: 'PLAN',
      expiresAt: null,
    });
  }
  for (const override of overrides) {
    byFeature.set(override.featureKey, {
      featureKey: override.featureKey,
      enabled: override.enabled,
      value: override.value ?? null,
      source: 'OVERRIDE',
      expiresAt: override.expiresAt,
    });
  }
  return [...byFeature.values()].sort((a, b) => a.featureKey.localeCompare(b.featureKey));
}
