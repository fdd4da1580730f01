import { and, eq, inArray } from 'drizzle-orm';
import { Decimal } from '../../billing/decimal.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import type { Executor } from '../../db/client.ts';
import { type ThresholdAlertRow, usageTotals } from '../../db/schema.ts';
import { fireThresholds } from '../alerts/threshold-store.ts';
import { loadOrganizationTerms } from './meter-terms-store.ts';

/** The organization's totals of the month containing `monthStart`, by meter. */
export async function monthTotals(
  db: Executor,
  organizationId: string,
  monthStart: Date,
): Promise<Map<string, Decimal>> {
  return (await monthTotalsOf(db, [organizationId], monthStart)).get(organizationId) ?? new Map();
}

/** Many organizations' totals of the month containing `monthStart`, in one query. */
export async function monthTotalsOf(
  db: Executor,
  organizationIds: readonly string[],
  monthStart: Date,
): Promise<Map<string, Map<string, Decimal>>> {
  const byOrganization = new Map<string, Map<string, Decimal>>();
  if (organizationIds.length === 0) return byOrganization;
  const rows = await db
    .select({
      organizationId: usageTotals.organizationId,
      meterKey: usageTotals.meterKey,
      value: usageTotals.value,
    })
    .from(usageTotals)
    .where(
      and(
        inArray(usageTotals.organizationId, [...organizationIds]),
        eq(usageTotals.periodStart, monthStart),
      ),
    );
  for (const row of rows) {
    const totals = byOrganization.get(row.organizationId) ?? new Map<string, Decimal>();
    totals.set(row.meterKey, new Decimal(row.value));
    byOrganization.set(row.organizationId, totals);
  }
  return byOrganization;
}

/**
 * After limits changed (a plan change, an override), in the same transaction: usage already
 * recorded may have crossed thresholds of the new limits. Those fire now; thresholds fired
 * before stay fired. Only `meterKeys` when given, else every meter. Answers the alerts fired.
 */
export async function fireThresholdsOfNewLimits(
  tx: Executor,
  organizationId: string,
  at: Date,
  meterKeys?: readonly string[],
): Promise<ThresholdAlertRow[]> {
  const month = calendarMonthOf(at);
  const terms = (await loadOrganizationTerms(tx, [organizationId])).get(organizationId);
  if (!terms) return [];
  const used = await monthTotals(tx, organizationId, month.start);
  const fired: ThresholdAlertRow[] = [];
  for (const meter of terms.meters.values()) {
    if (meterKeys && !meterKeys.includes(meter.meter.key)) continue;
    const crossing = await fireThresholds(tx, {
      organizationId,
      meterKey: meter.meter.key,
      period: month,
      used: used.get(meter.meter.key) ?? new Decimal(0),
      limit: meter.quota.limit,
      at,
      knownFired: () => false,
    });
    fired.push(...crossing.fired);
  }
  return fired;
}
