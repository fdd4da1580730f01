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

/** The plan organizations fall back to when they stop paying. */
export async function freePlanId(db: Executor): Promise<string | null> {
  const [plan] = await db
    .select({ id: plans.id })
    .from(plans)
    .where(eq(plans.key, 'free'))
    .orderBy(desc(plans.version))
    .limit(1);
  return plan?.id ?? null;
}
