import type { Decimal } from './decimal.ts';

/** Percentages of a limit at which an alert fires, once per period each. */
const THRESHOLDS = [50, 75, 90, 100] as const;
export type Threshold = (typeof THRESHOLDS)[number];

/**
 * The thresholds that `used` has reached against `limit`, lowest first, compared exactly
 * (used × 100 ≥ limit × threshold). None for an unlimited meter or before any usage.
 */
export function thresholdsReached(used: Decimal, limit: Decimal | null): Threshold[] {
  if (limit === null || !used.greaterThan(0)) return [];
  return THRESHOLDS.filter((threshold) =>
    used.times(100).greaterThanOrEqualTo(limit.times(threshold)),
  );
}
