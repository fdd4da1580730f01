import { and, eq, inArray } from 'drizzle-orm';
import { Decimal } from '../../billing/decimal.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import { evaluateUsage, type MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { Executor } from '../../db/client.ts';
import { usageTotals } from '../../db/schema.ts';
import { loadOrganizationTerms, usagePeriod } from './meter-terms-store.ts';
import { toRunningTotal } from './usage-total-store.ts';

/**
 * Month-to-date usage of every meter, for each organization: two queries whatever the number of
 * organizations (their terms, then their totals of the current calendar month).
 */
export async function loadUsage(
  db: Executor,
  organizationIds: readonly string[],
  now: Date,
): Promise<Map<string, MeterUsageFigures[]>> {
  const termsByOrganization = await loadOrganizationTerms(db, organizationIds);
  const month = calendarMonthOf(now);
  const totals = organizationIds.length
    ? await db
        .select()
        .from(usageTotals)
        .where(
          and(
            inArray(usageTotals.organizationId, [...organizationIds]),
            eq(usageTotals.periodStart, month.start),
          ),
        )
    : [];
  const totalByKey = new Map(totals.map((t) => [`${t.organizationId}/${t.meterKey}`, t]));

  const result = new Map<string, MeterUsageFigures[]>();
  for (const [organizationId, terms] of termsByOrganization) {
    const period = usagePeriod(terms, now);
    result.set(
      organizationId,
      [...terms.meters.values()].map((meter) => {
        const total = totalByKey.get(`${organizationId}/${meter.meter.key}`);
        return evaluateUsage({
          meterKey: meter.meter.key,
          aggregation: meter.aggregation,
          used: total ? toRunningTotal(total).value : new Decimal(0),
          quota: meter.quota,
          period,
          now,
          currency: terms.currency,
          updatedAt: total?.updatedAt ?? null,
        });
      }),
    );
  }
  return result;
}
