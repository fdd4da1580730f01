import { yearlyBase } from '../../billing/intervals.ts';
import type { Period } from '../../billing/period.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type BillingSubscriptionRow, type PlanRow, prorationItems } from '../../db/schema.ts';
import { priceAt } from '../catalog/plan-store.ts';

/** A yearly period's base as the line its month's invoice carries. */
export function yearCharge(plan: PlanRow, yearlyAmount: bigint, year: Period) {
  const amount = yearlyBase(yearlyAmount, year.start);
  const day = (at: Date) => at.toISOString().slice(0, 10);
  const part = amount === yearlyAmount ? '' : ' (prorated)';
  return {
    kind: 'BASE' as const,
    description: `${plan.name} plan, yearly, ${day(year.start)} to ${day(year.end)}${part}`,
    amount,
  };
}

/** What a version costs a year; it must be sold yearly. */
async function yearlyPriceOf(db: Executor, plan: PlanRow): Promise<bigint> {
  const yearly = await priceAt(db, plan, 'YEAR');
  if (yearly === null) throw new Error(`plan ${plan.key} v${plan.version} has no yearly price`);
  return yearly;
}

/**
 * Ledger-only: a yearly period's base, charged once when the year begins (at the start, at a
 * renewal, at a switch to yearly), as a BASE item the month's invoice carries. Called in the
 * transaction that begins the year, so it is charged exactly once. With Stripe, Stripe charges
 * the year itself.
 */
export async function chargeYear(
  tx: Executor,
  subscription: Pick<BillingSubscriptionRow, 'id' | 'organizationId'>,
  plan: PlanRow,
  year: Period,
): Promise<void> {
  const charge = yearCharge(plan, await yearlyPriceOf(tx, plan), year);
  await tx.insert(prorationItems).values({
    id: newId('pro'),
    organizationId: subscription.organizationId,
    subscriptionId: subscription.id,
    ...charge,
    currency: plan.currency,
    periodStart: calendarMonthOf(year.start).start,
    effectiveAt: year.start,
  });
}
