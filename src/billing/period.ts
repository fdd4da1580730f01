/**
 * Billing periods are calendar months in UTC: [1st 00:00:00.000, next 1st 00:00:00.000).
 * A subscription that starts mid-month has a first period from its start to the next 1st.
 */
export interface Period {
  /** Inclusive. */
  start: Date;
  /** Exclusive: the first instant of the next period. */
  end: Date;
}

export function startOfUtcMonth(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function startOfNextUtcMonth(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/** The calendar month that contains `at`. */
export function calendarMonthOf(at: Date): Period {
  return { start: startOfUtcMonth(at), end: startOfNextUtcMonth(at) };
}

/** A subscription's first period: from its start to the next 1st 00:00 UTC. */
export function firstPeriodFrom(start: Date): Period {
  return { start, end: startOfNextUtcMonth(start) };
}

/** The calendar month named "YYYY-MM", or null when the text names none. */
export function parseBillingMonth(text: string): Period | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text);
  if (!match) return null;
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return { start, end: startOfNextUtcMonth(start) };
}
