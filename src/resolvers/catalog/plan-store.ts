import { and, desc, eq } from 'drizzle-orm';
import { compareAmounts } from '../../billing/money.ts';
import type { Executor } from '../../db/client.ts';
import { type BillingInterval, type PlanRow, planPrices, plans } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';

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
export async function freePlan(db: Executor, currency: string): Promise<PlanRow | null> {
  const free = (await publicPlans(db, { includeArchived: false, currency })).filter(
    (plan) => plan.basePriceAmount === 0n,
  );
  return free.find((plan) => plan.key === 'free') ?? free[0] ?? null;
}

/**
 * The newest version of every public plan key, on sale only unless asked, in one currency when
 * asked: by currency, then cheapest first (amounts of two currencies do not compare). What
 * pricing pages list and where upgrades and the free fallback are looked for.
 */
export async function publicPlans(
  db: Executor,
  options: { includeArchived: boolean; currency?: string | null },
): Promise<PlanRow[]> {
  const latest = await db
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

/** What a version costs per `interval`, or null when it is not sold at that interval. */
export async function priceAt(
  db: Executor,
  plan: PlanRow,
  interval: BillingInterval,
): Promise<bigint | null> {
  const [price] = await db
    .select({ amount: planPrices.amount })
    .from(planPrices)
    .where(and(eq(planPrices.planId, plan.id), eq(planPrices.interval, interval)));
  return price?.amount ?? null;
}

/**
 * The interval a subscription to `plan` is charged at: the one asked for, which the version
 * must be sold at (a ValidationError at `path`.interval otherwise), or the plan's default.
 */
export async function intervalSold(
  db: Executor,
  plan: PlanRow,
  asked: BillingInterval | null,
  path: string[] = [],
): Promise<BillingInterval> {
  if (asked === null || asked === plan.interval) return plan.interval;
  if ((await priceAt(db, plan, asked)) === null) {
    throw ValidationError.forField(
      [...path, 'interval'],
      `the ${plan.name} plan is not sold ${asked === 'YEAR' ? 'yearly' : 'monthly'}`,
    );
  }
  return asked;
}

/** One plan version by id (it exists: subscriptions reference it). */
export async function planById(db: Executor, id: string): Promise<PlanRow> {
  const [plan] = await db.select().from(plans).where(eq(plans.id, id));
  if (!plan) throw new Error(`plan ${id} not found`);
  return plan;
}
