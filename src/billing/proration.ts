import { type Money, money } from './money.ts';
import type { Period } from './period.ts';

/**
 * What an immediate change of a flat price costs for the rest of the period, as Stripe computes
 * it: a credit for the unused time on the old price and a charge for the remaining time on the
 * new, each rounded on its own (half away from zero), time counted in whole seconds:
 *
 *   credit = −round(old × (end − at) / (end − start)),  charge = round(new × (end − at) / (end − start))
 *
 * With Stripe the period is the subscription's (Stripe's own rule); ledger-only it is the whole
 * calendar month, so that the pieces follow `priceOfPart` like the first month's base.
 */
export interface Proration {
  credit: Money;
  charge: Money;
  total: Money;
}

export function prorate(input: {
  oldAmount: bigint;
  newAmount: bigint;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  at: Date;
}): Proration {
  const period = { start: input.periodStart, end: input.periodEnd };
  const from =
    input.at < period.start ? period.start : input.at > period.end ? period.end : input.at;
  const share = (amount: bigint) => priceOfPart(amount, { start: from, end: period.end }, period);
  const credit = -share(input.oldAmount);
  const charge = share(input.newAmount);
  return {
    credit: money(credit, input.currency),
    charge: money(charge, input.currency),
    total: money(credit + charge, input.currency),
  };
}

/**
 * The one rule for a plan in force for part of a month: its price × its seconds in the month /
 * the month's seconds, rounded once, half away from zero. The first partial month's base, and
 * (ledger-only) both pieces of a plan change, are priced by it, so an organization that starts
 * mid-month on one plan and upgrades a minute later pays what one started on the new plan pays,
 * give or take that minute.
 */
export function priceOfPart(amount: bigint, part: Period, month: Period): bigint {
  const seconds = (p: Period) =>
    BigInt(Math.floor(p.end.getTime() / 1000) - Math.floor(p.start.getTime() / 1000));
  const length = seconds(month);
  return length === 0n ? 0n : roundHalfAwayFromZero(amount * seconds(part), length);
}

/** numerator / denominator rounded half away from zero, exactly. */
function roundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const rounded = (2n * n + d) / (2n * d);
  return negative ? -rounded : rounded;
}
