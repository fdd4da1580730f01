import type { MeterBarFragment } from './gql/graphql.ts';

/** MAX and LAST meters (storage, seats) read a level; SUM and COUNT accumulate. */
const isGauge = (meter: MeterBarFragment) =>
  meter.meter.aggregation === 'MAX' || meter.meter.aggregation === 'LAST';

/**
 * What the page says about a meter: the server's status, except that a HARD gauge exactly at
 * its limit (5 of 5 seats) reads AT_LIMIT, whatever status the server sends (WARNING now,
 * EXCEEDED before): nothing is over the limit, and no more fits. A HARD counter at its limit
 * has used up its quota for the period and stays EXCEEDED, as the server says; so does a HARD
 * gauge above a limit lowered after the fact.
 */
export type MeterStatus = MeterBarFragment['status'] | 'AT_LIMIT';

export function statusOf(meter: MeterBarFragment): MeterStatus {
  const atLimit =
    meter.mode === 'HARD' &&
    isGauge(meter) &&
    meter.limit !== null &&
    meter.limit !== undefined &&
    compareDecimals(meter.used, meter.limit) === 0;
  return atLimit ? 'AT_LIMIT' : meter.status;
}

/** What the page says about the end of the period. */
export type Projection =
  /** A gauge (MAX, LAST) does not accumulate: it is not projected. */
  | { kind: 'none' }
  /** Too little of the period has passed to mean something; shown from `from` on. */
  | { kind: 'too-early'; from: Date }
  /** In whole units; `over` is null when the meter is unlimited. */
  | { kind: 'shown'; units: bigint; over: boolean | null };

/**
 * The projection is shown once a tenth of the period has passed (3 days of a 30-day month),
 * and never before a whole day: on day one a few hours of usage, multiplied by the whole month,
 * say nothing (the server's `projected` is linear from the first hour). The period is the one
 * the usage belongs to (periodStart, periodEnd); `now` is this browser's clock.
 */
const MIN_ELAPSED_SHARE = 0.1;
const MIN_ELAPSED_MS = 24 * 60 * 60 * 1000;

/**
 * Counters (SUM, COUNT) are projected in whole units, rounded down: a projection is an
 * estimate, and a fraction of a request is none. Whether it is over the limit is said of that
 * whole figure, so that the text never contradicts the number it shows.
 */
export function projectionOf(meter: MeterBarFragment, now: number): Projection {
  if (isGauge(meter)) return { kind: 'none' };
  const start = Date.parse(meter.periodStart);
  const length = Date.parse(meter.periodEnd) - start;
  const from = start + Math.max(length * MIN_ELAPSED_SHARE, MIN_ELAPSED_MS);
  if (now < from) return { kind: 'too-early', from: new Date(from) };
  const units = wholeUnits(meter.projected);
  const over =
    meter.limit === null || meter.limit === undefined
      ? null
      : compareDecimals(units.toString(), meter.limit) > 0;
  return { kind: 'shown', units, over };
}

/** The whole part of a non-negative decimal string: "349680.1234" → 349680n. */
function wholeUnits(value: string): bigint {
  return BigInt(value.split('.')[0] || '0');
}

/** Compares decimal strings exactly, whatever their size: "10" equals "10.000". */
function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const digits = Math.max(fractionDigits(a), fractionDigits(b));
  const [x, y] = [scaled(a, digits), scaled(b, digits)];
  return x === y ? 0 : x < y ? -1 : 1;
}

const fractionDigits = (value: string) => value.split('.')[1]?.length ?? 0;

/** "-1.5" scaled by 2 digits → -150n. */
function scaled(value: string, digits: number): bigint {
  const [whole = '0', fraction = ''] = value.split('.');
  return BigInt(`${whole}${fraction.padEnd(digits, '0')}`);
}
