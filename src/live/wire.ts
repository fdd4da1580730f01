import { Decimal } from '../billing/decimal.ts';
import { money } from '../billing/money.ts';
import type { MeterUsageFigures } from '../billing/usage-evaluation.ts';
import type { BillingSubscriptionRow, ThresholdAlertRow } from '../db/schema.ts';

/**
 * Live events travel as JSON (through Redis between instances), so their payloads are written
 * in strings: exact decimals and ISO timestamps. These convert to and from the domain shapes.
 */
export interface MeterUsageWire {
  meterKey: string;
  used: string;
  limit: string | null;
  pct: number | null;
  remaining: string | null;
  status: MeterUsageFigures['status'];
  mode: MeterUsageFigures['mode'];
  blocked: boolean;
  projected: string;
  onTrack: boolean;
  overage: string;
  /** Minor units as decimal text: JSON has no 64-bit integers. */
  overageCost: { amount: string; currency: string };
  periodStart: string;
  periodEnd: string;
  updatedAt: string;
}

export function usageToWire(u: MeterUsageFigures): MeterUsageWire {
  return {
    ...u,
    used: u.used.toFixed(),
    limit: u.limit?.toFixed() ?? null,
    remaining: u.remaining?.toFixed() ?? null,
    projected: u.projected.toFixed(),
    overage: u.overage.toFixed(),
    overageCost: { amount: u.overageCost.amount.toString(), currency: u.overageCost.currency },
    periodStart: u.periodStart.toISOString(),
    periodEnd: u.periodEnd.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export function usageFromWire(w: MeterUsageWire): MeterUsageFigures {
  return {
    ...w,
    used: new Decimal(w.used),
    limit: w.limit === null ? null : new Decimal(w.limit),
    remaining: w.remaining === null ? null : new Decimal(w.remaining),
    projected: new Decimal(w.projected),
    overage: new Decimal(w.overage),
    overageCost: money(BigInt(w.overageCost.amount), w.overageCost.currency),
    periodStart: new Date(w.periodStart),
    periodEnd: new Date(w.periodEnd),
    updatedAt: new Date(w.updatedAt),
  };
}

export type ThresholdAlertWire = Omit<
  ThresholdAlertRow,
  'periodStart' | 'crossedAt' | 'dispatchedAt'
> & {
  periodStart: string;
  crossedAt: string;
  dispatchedAt: string | null;
};

export function alertToWire(a: ThresholdAlertRow): ThresholdAlertWire {
  return {
    ...a,
    periodStart: a.periodStart.toISOString(),
    crossedAt: a.crossedAt.toISOString(),
    dispatchedAt: a.dispatchedAt?.toISOString() ?? null,
  };
}

export function alertFromWire(w: ThresholdAlertWire): ThresholdAlertRow {
  return {
    ...w,
    periodStart: new Date(w.periodStart),
    crossedAt: new Date(w.crossedAt),
    dispatchedAt: w.dispatchedAt ? new Date(w.dispatchedAt) : null,
  };
}

export type BillingSubscriptionWire = {
  [K in keyof BillingSubscriptionRow]: BillingSubscriptionRow[K] extends Date
    ? string
    : BillingSubscriptionRow[K] extends Date | null
      ? string | null
      : BillingSubscriptionRow[K];
};

const SUBSCRIPTION_DATES = [
  'currentPeriodStart',
  'currentPeriodEnd',
  'trialEnd',
  'canceledAt',
  'createdAt',
  'updatedAt',
] as const;

export function subscriptionToWire(row: BillingSubscriptionRow): BillingSubscriptionWire {
  const wire: Record<string, unknown> = { ...row };
  for (const key of SUBSCRIPTION_DATES) wire[key] = row[key]?.toISOString() ?? null;
  return wire as BillingSubscriptionWire;
}

export function subscriptionFromWire(wire: BillingSubscriptionWire): BillingSubscriptionRow {
  const row: Record<string, unknown> = { ...wire };
  for (const key of SUBSCRIPTION_DATES) row[key] = wire[key] ? new Date(wire[key] as string) : null;
  return row as BillingSubscriptionRow;
}
