import { desc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { type PlanRow, plans } from '../../db/schema.ts';

/** The newest version of a plan key, sold or not. */
export async function latestPlanVersion(db: Executor, key: string): Promise<PlanRow | null> {
  const [plan] = await db
    .select()
    .from(plans)
    .where(eq(plans.key, key))
    .orderBy(desc(plans.version))
    .limit(1);
  return plan ?? null;
}

/**
 * The plan organizations paying in `currency` fall back to when they stop paying: the latest
 * version of a public plan on sale at no price in that currency, the one keyed `free` first.
 * None: the subscription ends instead (an organization never changes currency).
 */
export async function freePlanId(db: Executor, currency: string): Promise<string | null> {
  const latest = await db
    .selectDistinctOn([plans.key])
    .from(plans)
    .orderBy(plans.key, desc(plans.version));
  const free = latest.filter(
    (plan) =>
      plan.active && !plan.private && plan.basePriceAmount === 0n && plan.currency === currency,
  );
  return (free.find((plan) => plan.key === 'free') ?? free[0])?.id ?? null;
}
