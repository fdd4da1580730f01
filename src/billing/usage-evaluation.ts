import { type Aggregation, isGauge } from './aggregation.ts';
import { Decimal, formatDecimal } from './decimal.ts';
import { type Money, money } from './money.ts';
import type { Period } from './period.ts';
import { overageCost, overageUnits } from './pricing.ts';
import {
  type EffectiveQuota,
  hardLimitReached,
  type LimitMode,
  refusedByHardLimit,
  requestedBy,
  valueAfter,
} from './quota.ts';
import { unitFor } from './units.ts';

type QuotaStatus = 'OK' | 'WARNING' | 'EXCEEDED';

/** Where a meter stands in a period, as dashboards show it. */
export interface MeterUsageFigures {
  meterKey: string;
  used: Decimal;
  limit: Decimal | null;
  /** used / limit × 100; null when unlimited. */
  pct: number | null;
  remaining: Decimal | null;
  status: QuotaStatus;
  mode: LimitMode;
  blocked: boolean;
  projected: Decimal;
  onTrack: boolean;
  overage: Decimal;
  overageCost: Money;
  periodStart: Date;
  periodEnd: Date;
  updatedAt: Date;
}

/** From this share of the limit a meter shows WARNING. */
const WARNING_PCT = 75;
/**
 * Projections divide by the elapsed part of the period; in its first hour that is too little to
 * say anything, so at least an hour counts as elapsed.
 */
const MIN_ELAPSED_MS = 60 * 60 * 1000;

export function evaluateUsage(input: {
  meterKey: string;
  aggregation: Aggregation;
  used: Decimal;
  quota: EffectiveQuota;
  period: Period;
  now: Date;
  currency: string;
  updatedAt: Date | null;
}): MeterUsageFigures {
  const { used, quota, period } = input;
  const limit = quota.limit;
  const pct = percentOf(used, limit);
  const projected = project(input.aggregation, used, period, input.now);
  return {
    meterKey: input.meterKey,
    used,
    limit,
    pct,
    remaining: limit === null ? null : Decimal.max(limit.minus(used), 0),
    status: statusFor(pct, {
      gaugeAtHardLimit:
        quota.mode === 'HARD' && isGauge(input.aggregation) && limit !== null && used.equals(limit),
    }),
    mode: quota.mode,
    blocked: hardLimitReached(quota, used),
    projected,
    onTrack: limit === null || projected.lessThanOrEqualTo(limit),
    overage: limit === null ? new Decimal(0) : overageUnits(used, limit),
    // Only OVERAGE is charged: SOFT warns, HARD refuses.
    overageCost:
      quota.mode === 'OVERAGE' && limit !== null
        ? overageCost(
            used,
            { included: limit, unitPrice: quota.overageUnitPrice, tiers: quota.overageTiers },
            input.currency,
          )
        : money(0n, input.currency),
    periodStart: period.start,
    periodEnd: period.end,
    updatedAt: input.updatedAt ?? period.start,
  };
}

/** used / limit × 100, for display (a float is fine here: no money follows from it). */
export function percentOf(used: Decimal, limit: Decimal | null): number | null {
  if (limit === null) return null;
  // A zero limit is reached from the start.
  if (limit.isZero()) return 100;
  return used.dividedBy(limit).times(100).toDecimalPlaces(4).toNumber();
}

/**
 * OK below 75 %, WARNING up to the limit, EXCEEDED past it. A HARD gauge exactly at its limit
 * (3 of 3 seats) is at limit, not over it: WARNING, with `blocked` saying no more fits. A HARD
 * counter at its limit has used its quota up for the period: EXCEEDED.
 */
function statusFor(pct: number | null, options: { gaugeAtHardLimit: boolean }): QuotaStatus {
  if (options.gaugeAtHardLimit) return 'WARNING';
  if (pct === null || pct < WARNING_PCT) return 'OK';
  return pct < 100 ? 'WARNING' : 'EXCEEDED';
}

/**
 * Usage at the end of the period if it goes on at the pace so far. Counters (SUM, COUNT) grow
 * linearly with elapsed time; gauges (MAX, LAST) are projected to stay where they are.
 */
function project(aggregation: Aggregation, used: Decimal, period: Period, now: Date): Decimal {
  if (isGauge(aggregation)) return used;
  const length = period.end.getTime() - period.start.getTime();
  const elapsed = Math.min(
    Math.max(now.getTime() - period.start.getTime(), MIN_ELAPSED_MS),
    length,
  );
  return used.times(length).dividedBy(elapsed).toDecimalPlaces(4);
}

export interface QuotaCheckFigures {
  allowed: boolean;
  requested: Decimal;
  used: Decimal;
  limit: Decimal | null;
  remaining: Decimal | null;
  mode: LimitMode;
  reason: string | null;
}

/** Would recording `quantity` now be accepted? A read; nothing is reserved. */
export function checkQuota(input: {
  meterKey: string;
  unit: string;
  aggregation: Aggregation;
  used: Decimal;
  quota: EffectiveQuota;
  quantity: Decimal;
}): QuotaCheckFigures {
  const { used, quota } = input;
  const requested = requestedBy(input.aggregation, input.quantity);
  const allowed = !refusedByHardLimit(quota, valueAfter(input.aggregation, used, input.quantity));
  return {
    allowed,
    requested,
    used,
    limit: quota.limit,
    remaining: quota.limit === null ? null : Decimal.max(quota.limit.minus(used), 0),
    mode: quota.mode,
    reason: allowed
      ? null
      : `${formatDecimal(requested)} ${unitFor(requested, input.unit)} more would take ${input.meterKey} past its HARD limit of ${formatDecimal(quota.limit ?? new Decimal(0))} (${formatDecimal(used)} used this period)`,
  };
}
