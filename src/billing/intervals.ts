import { type Period, startOfNextUtcMonth, startOfUtcMonth } from './period.ts';
import { priceOfPart } from './proration.ts';

/**
 * How often a subscription's base price is charged. Usage, quotas and overage stay per calendar
 * month whatever the interval; only the base follows it.
 */
export type BillingInterval = 'MONTH' | 'YEAR';

/** The 1st 00:00 UTC `months` calendar months after the month that contains `at`. */
function monthsAfter(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/**
 * The whole year a yearly period belongs to: from the 1st of the month it began in, twelve
 * calendar months. A year that begins mid-month is that year's part, priced by its seconds.
 */
export function wholeYearOf(start: Date): Period {
  return { start: startOfUtcMonth(start), end: monthsAfter(start, 12) };
}

/**
 * A period that begins at `start`: to the next 1st 00:00 UTC (monthly), or to the 1st twelve
 * months after the month it begins in (yearly). Anchored to the 1st either way, so that a
 * period's end is always a month's start.
 */
export function periodFrom(start: Date, interval: BillingInterval): Period {
  return {
    start,
    end: interval === 'YEAR' ? wholeYearOf(start).end : startOfNextUtcMonth(start),
  };
}

/**
 * What a yearly period from `start` costs at `yearlyAmount`: the whole price from the 1st, the
 * year's part by its seconds from a later moment (rounded once, half away from zero).
 */
export function yearlyBase(yearlyAmount: bigint, start: Date): bigint {
  const year = wholeYearOf(start);
  return priceOfPart(yearlyAmount, { start, end: year.end }, year);
}
