import { asc, desc } from 'drizzle-orm';
import { compareAmounts } from '../../billing/money.ts';
import type { RequestContext } from '../../context.ts';
import { type MeterRow, meters, type PlanRow, plans } from '../../db/schema.ts';
import { latestPlanVersion } from './plan-store.ts';

/** The public catalog for pricing pages: plans as currently sold, and the meters. */

/** The newest version of every plan key, active ones only, cheapest first. */
export async function listPlans(ctx: RequestContext): Promise<PlanRow[]> {
  const latest = await ctx.db
    .selectDistinctOn([plans.key])
    .from(plans)
    .orderBy(plans.key, desc(plans.version));
  return latest
    .filter((plan) => plan.active)
    .sort(
      (a, b) => compareAmounts(a.basePriceAmount, b.basePriceAmount) || a.key.localeCompare(b.key),
    );
}

/** The newest version of a plan key, sold or not (subscribers still see their plan). */
export function findPlanByKey(ctx: RequestContext, key: string): Promise<PlanRow | null> {
  return latestPlanVersion(ctx.db, key);
}

export async function listMeters(ctx: RequestContext): Promise<MeterRow[]> {
  return ctx.db.select().from(meters).orderBy(asc(meters.key));
}
