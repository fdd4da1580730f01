import { type BillingInterval, periodFrom, wholeYearOf } from '../../billing/intervals.ts';
import { calendarMonthOf, type Period } from '../../billing/period.ts';
import { priceOfPart, prorate } from '../../billing/proration.ts';
import type { BillingSubscriptionRow, PlanRow } from '../../db/schema.ts';
import { yearCharge } from './yearly-base.ts';

/** One side of a plan change: the version and the interval its base is charged at, at what price. */
export interface PricedSide {
  plan: PlanRow;
  interval: BillingInterval;
  /** Per interval, in minor units. */
  price: bigint;
}

/** What an immediate change charges or credits at once: PRORATION lines, and a new year's BASE. */
export interface ChangeCharge {
  kind: 'PRORATION' | 'BASE';
  description: string;
  amount: bigint;
}

/**
 * What changing now charges and credits, Stripe's way: the unused time of the old price is
 * credited and the remaining time of the new one charged, over the period the old price paid
 * for. Stripe prorates by the subscription's own period; ledger-only, by the whole month or year
 * a first partial period was priced by (so a start mid-month on one plan and an upgrade a
 * minute later cost what a start on the new plan does). Monthly to yearly credits the month's
 * unused time and begins a year now, whose base (to the 1st twelve months after this month,
 * prorated) the ledger charges at once. Nothing during a trial: the new price applies when it
 * ends, as in Stripe.
 */
export function immediateCharges(
  subscription: BillingSubscriptionRow,
  from: PricedSide,
  to: PricedSide,
  at: Date,
  billedByStripe: boolean,
): ChangeCharge[] {
  if (subscription.status === 'TRIALING') return [];
  const paidFor: Period = billedByStripe
    ? { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd }
    : from.interval === 'YEAR'
      ? wholeYearOf(subscription.currentPeriodStart)
      : calendarMonthOf(at);
  const after = at.toISOString().slice(0, 16).replace('T', ' ');
  const unused = (amount: bigint) => ({
    kind: 'PRORATION' as const,
    description: `Unused time on ${from.plan.name} after ${after} UTC`,
    amount,
  });
  if (from.interval === to.interval) {
    const proration = prorate({
      oldAmount: from.price,
      newAmount: to.price,
      currency: to.plan.currency,
      periodStart: paidFor.start,
      periodEnd: paidFor.end,
      at,
    });
    return [
      unused(proration.credit.amount),
      {
        kind: 'PRORATION',
        description: `Remaining time on ${to.plan.name} after ${after} UTC`,
        amount: proration.charge.amount,
      },
    ];
  }
  // Monthly to yearly (yearly to monthly waits for the end of the paid year). Stripe begins a
  // whole year now, charged in full; the ledger a year to the 1st, its part charged.
  const credit = -priceOfPart(from.price, { start: at, end: paidFor.end }, paidFor);
  if (!billedByStripe)
    return [unused(credit), yearCharge(to.plan, to.price, periodFrom(at, 'YEAR'))];
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return [
    unused(credit),
    {
      kind: 'BASE',
      description: `${to.plan.name} plan, yearly, ${day(at)} to ${day(sameMomentNextYear(at))}`,
      amount: to.price,
    },
  ];
}

function sameMomentNextYear(at: Date): Date {
  const next = new Date(at);
  next.setUTCFullYear(at.getUTCFullYear() + 1);
  return next;
}
