import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { toPgArray } from '../../db/pg-array.ts';
import { queryRows } from '../../db/raw.ts';
import { invoices } from '../../db/schema.ts';

/**
 * A month whose invoice is final is closed for the organization's usage (a provisional DRAFT,
 * made during the grace window, is not: late usage goes in and the run recomputes it). The
 * invoice run holds each
 * organization's month lock exclusively while it reads the month's usage and stores the invoice;
 * late usage for a past month holds it shared while it checks for the invoice and writes. So a
 * late event is either in the invoice or refused, never counted after the invoice was made.
 */
function lockKey(organizationId: string, monthStart: Date): string {
  return `invoiced-period:${organizationId}:${monthStart.toISOString()}`;
}

/** The invoice run's side: every organization's month, locked in one order (no deadlocks). */
export async function lockMonthsForInvoicing(
  tx: Executor,
  organizationIds: readonly string[],
  monthStart: Date,
): Promise<void> {
  if (organizationIds.length === 0) return;
  const keys = organizationIds.map((id) => lockKey(id, monthStart)).sort();
  await queryRows(
    tx,
    sql`select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
        from (select unnest(${toPgArray(keys)}::text[]) as k order by k) as locks`,
  );
}

/** Late usage's side: which of these past months of the organization are closed already. */
export async function closedMonths(
  tx: Executor,
  organizationId: string,
  monthStarts: readonly Date[],
): Promise<Set<number>> {
  if (monthStarts.length === 0) return new Set();
  const keys = monthStarts.map((start) => lockKey(organizationId, start)).sort();
  await queryRows(
    tx,
    sql`select count(pg_advisory_xact_lock_shared(hashtextextended(k, 0)))
        from (select unnest(${toPgArray(keys)}::text[]) as k order by k) as locks`,
  );
  const rows = await tx
    .select({ monthStart: invoices.monthStart })
    .from(invoices)
    .where(
      and(
        eq(invoices.organizationId, organizationId),
        inArray(invoices.monthStart, [...monthStarts]),
        isNotNull(invoices.usageClosedAt),
      ),
    );
  return new Set(rows.map((row) => row.monthStart.getTime()));
}
