import { Decimal } from './decimal.ts';
import { type Money, roundToMinorUnits } from './money.ts';

/**
 * A graduated overage tier. `upTo` bounds the period's total usage (as Stripe's up_to); null means
 * no upper bound. Unit prices are in major currency units, as exact decimal text.
 */
export interface OverageTier {
  upTo: string | null;
  unitPrice: string;
}

export interface OverageTerms {
  /** Included quantity; usage above it is overage. */
  included: Decimal;
  unitPrice: Decimal | null;
  tiers: OverageTier[] | null;
}

/** Units above the included quantity (never negative). */
export function overageUnits(used: Decimal, included: Decimal): Decimal {
  return Decimal.max(used.minus(included), 0);
}

/**
 * The price of the usage above the included quantity, rounded once (half away from zero).
 * Graduated tiers bound the period's total usage, as Stripe's up_to does: with 10,000,000
 * included and tiers up to 50,000,000 at $0.0002 then $0.0001, 60,000,000 requests cost
 * 40,000,000 × $0.0002 + 10,000,000 × $0.0001 = $9,000.00.
 */
export function overageCost(used: Decimal, terms: OverageTerms, currency: string): Money {
  return roundToMinorUnits(overageAmount(used, terms), currency);
}

/** The same, unrounded, in major units. */
export function overageAmount(used: Decimal, terms: OverageTerms): Decimal {
  if (!used.greaterThan(terms.included)) return new Decimal(0);
  if (terms.unitPrice) return overageUnits(used, terms.included).times(terms.unitPrice);
  if (!terms.tiers?.length) return new Decimal(0);
  let amount = new Decimal(0);
  let lower = terms.included;
  for (const tier of terms.tiers) {
    const upper = tier.upTo === null ? null : new Decimal(tier.upTo);
    if (upper !== null && !upper.greaterThan(lower)) continue;
    const top = upper === null ? used : Decimal.min(used, upper);
    if (top.greaterThan(lower)) amount = amount.plus(top.minus(lower).times(tier.unitPrice));
    if (upper === null || !used.greaterThan(upper)) break;
    lower = upper;
  }
  return amount;
}
