import { type Money, money } from './money.ts';

/**
 * What an immediate change of a flat price costs for the rest of the period, as Stripe computes
 * it: a credit for the unused time on the old price and a charge for the remaining time on the
 * new, each rounded on its own (half away from zero), time counted in whole seconds:
 *
 *   credit = −round(old × (end − at) / (end − start)),  charge = round(new × (end − at) / (end − start))
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
  const start = BigInt(Math.floor(input.periodStart.getTime() / 1000));
  const end = BigInt(Math.floor(input.periodEnd.getTime() / 1000));
  const at = BigInt(Math.floor(input.at.getTime() / 1000));
  const length = end - start;
  const remaining = at >= end ? 0n : at <= start ? length : end - at;
  const share = (amount: bigint) =>
    length === 0n ? 0n : roundHalfAwayFromZero(amount * remaining, length);
  const credit = -share(input.oldAmount);
  const charge = share(input.newAmount);
  return {
    credit: money(credit, input.currency),
    charge: money(charge, input.currency),
    total: money(credit + charge, input.currency),
  };
}

/** numerator / denominator rounded half away from zero, exactly. */
export function roundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const rounded = (2n * n + d) / (2n * d);
  return negative ? -rounded : rounded;
}
