/**
 * Billing-period arithmetic in UTC. Periods are the boundaries anchor + k × interval (k any
 * integer); month steps keep the anchor's day of month, clamped to shorter months
 * (an anchor on the 31st bills on Feb 28, then Mar 31), like Stripe.
 */
export type IntervalUnit = 'day' | 'week' | 'month' | 'year';
export interface Interval {
  interval: IntervalUnit;
  interval_count: number;
}

const DAY = 86_400;

/** The boundary `steps` intervals away from `anchor` (negative steps go back). */
export function shift(anchor: number, every: Interval, steps: number): number {
  const count = every.interval_count * steps;
  if (every.interval === 'day') return anchor + count * DAY;
  if (every.interval === 'week') return anchor + count * 7 * DAY;
  return addMonths(anchor, every.interval === 'year' ? count * 12 : count);
}

function addMonths(time: number, months: number): number {
  const date = new Date(time * 1000);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  const timeOfDay = time - Math.floor(time / DAY) * DAY;
  return Date.UTC(year, month, day) / 1000 + timeOfDay;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** The first boundary of the anchor's sequence strictly after `time`. */
export function boundaryAfter(anchor: number, every: Interval, time: number): number {
  let steps = estimateSteps(anchor, every, time);
  while (shift(anchor, every, steps) > time) steps--;
  while (shift(anchor, every, steps) <= time) steps++;
  return shift(anchor, every, steps);
}

/** The last boundary of the anchor's sequence strictly before `time`. */
export function boundaryBefore(anchor: number, every: Interval, time: number): number {
  let steps = estimateSteps(anchor, every, time);
  while (shift(anchor, every, steps) < time) steps++;
  while (shift(anchor, every, steps) >= time) steps--;
  return shift(anchor, every, steps);
}

function estimateSteps(anchor: number, every: Interval, time: number): number {
  const approx = { day: DAY, week: 7 * DAY, month: 30.44 * DAY, year: 365.25 * DAY }[
    every.interval
  ];
  return Math.round((time - anchor) / (approx * every.interval_count));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "15 Jan 2026", the date style of Stripe's proration descriptions. */
export function formatDate(time: number): string {
  const date = new Date(time * 1000);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}
