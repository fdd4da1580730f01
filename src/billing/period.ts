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
