import { and, asc, desc, eq } from 'drizzle-orm';
import { compareAmounts } from '../../billing/money.ts';
import type { RequestContext } from '../../context.ts';
import {
  type FeatureRow,
  features,
  type MeterRow,
  meters,
  type PlanRow,
  plans,
} from '../../db/schema.ts';
import { latestPlanVersion } from './plan-store.ts';

/** The public catalog for pricing pages: plans as currently sold, and the meters. */

/**
 * A private plan exists only for ADMIN: to anyone else it is not there (not listed, not found,
 * not offered), so that one customer's deal stays theirs. Its subscribers still see their own
 * plan through their subscription.
 */
function shownTo(ctx: RequestContext, plan: PlanRow | null): PlanRow | null {
  return plan && (!plan.private || ctx.principal?.role === 'ADMIN') ? plan : null;
}

/**
 * The newest version of every public plan key, on sale only unless asked, in one currency when
 * asked: by currency, then cheapest first (amounts of two currencies do not compare).
 */
export async function listPlans(
  ctx: RequestContext,
  options: { includeArchived: boolean; currency?: string | null },
): Promise<PlanRow[]> {
  const latest = await ctx.db
    .selectDistinctOn([plans.key])
    .from(plans)
    .orderBy(plans.key, desc(plans.version));
  return latest
    .filter((plan) => !plan.private && (plan.active || options.includeArchived))
    .filter((plan) => !options.currency || plan.currency === options.currency)
    .sort(
      (a, b) =>
        a.currency.localeCompare(b.currency) ||
        compareAmounts(a.basePriceAmount, b.basePriceAmount) ||
        a.key.localeCompare(b.key),
    );
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
