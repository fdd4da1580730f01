import { and, asc, eq } from 'drizzle-orm';
import type { RequestContext } from '../../context.ts';
import {
  type FeatureRow,
  features,
  type MeterRow,
  meters,
  type PlanRow,
  plans,
} from '../../db/schema.ts';
import { latestPlanVersion, publicPlans } from './plan-store.ts';

/** The public catalog for pricing pages: plans as currently sold, and the meters. */

/**
 * A private plan exists only for ADMIN: to anyone else it is not there (not listed, not found,
 * not offered), so that one customer's deal stays theirs. Its subscribers still see their own
 * plan through their subscription.
 */
function shownTo(ctx: RequestContext, plan: PlanRow | null): PlanRow | null {
  return plan && (!plan.private || ctx.principal?.role === 'ADMIN') ? plan : null;
}

/** The plans a pricing page lists (see publicPlans). */
export function listPlans(
  ctx: RequestContext,
  options: { includeArchived: boolean; currency?: string | null },
): Promise<PlanRow[]> {
  return publicPlans(ctx.db, options);
}

/**
 * A plan key's newest version, or the one asked for, sold or not (subscribers see theirs); a
 * private one for ADMIN only.
 */
export async function findPlan(
  ctx: RequestContext,
  key: string,
  version: number | null,
): Promise<PlanRow | null> {
  if (version === null) return shownTo(ctx, await latestPlanVersion(ctx.db, key));
  const [plan] = await ctx.db
    .select()
    .from(plans)
    .where(and(eq(plans.key, key), eq(plans.version, version)));
  return shownTo(ctx, plan ?? null);
}

export async function listMeters(ctx: RequestContext): Promise<MeterRow[]> {
  return ctx.db.select().from(meters).orderBy(asc(meters.key));
}

export async function listFeatures(ctx: RequestContext): Promise<FeatureRow[]> {
  return ctx.db.select().from(features).orderBy(asc(features.key));
}
