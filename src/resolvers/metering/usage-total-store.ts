import { and, eq, or, sql } from 'drizzle-orm';
import {
  type Aggregation,
  applyEvent,
  emptyTotal,
  type RunningTotal,
} from '../../billing/aggregation.ts';
import { Decimal, formatDecimal } from '../../billing/decimal.ts';
import type { Period } from '../../billing/period.ts';
import type { Transaction } from '../../db/client.ts';
import { type UsageEventRow, type UsageTotalRow, usageTotals } from '../../db/schema.ts';
import type { MeterTerms } from './meter-terms-store.ts';

/**
 * Period totals: one row per (organization, meter, calendar month), changed in the same
 * transaction as the events that change them, so a quota check never scans events.
 */

/** The (meter, period) total a group of a request's events changes. */
export interface TotalGroup {
  key: string;
  meter: MeterTerms;
  period: Period;
  /** A HARD limit applies: the total is locked and every event checked against it. */
  guarded: boolean;
}

export function groupKeyOf(event: {
  meterKey: string;
  period?: Period;
  periodStart?: Date;
}): string {
  const start = event.period?.start ?? (event.periodStart as Date);
  return `${event.meterKey}\u0000${start.toISOString()}`;
}

/** What a stored event adds to its total. */
export function counted(row: UsageEventRow) {
  return { id: row.id, quantity: new Decimal(row.quantity), occurredAt: row.occurredAt };
}

/** The row of one period total. */
export const totalRow = (organizationId: string, meterKey: string, periodStart: Date) =>
  and(
    eq(usageTotals.organizationId, organizationId),
    eq(usageTotals.meterKey, meterKey),
    eq(usageTotals.periodStart, periodStart),
  );

const totalKey = (organizationId: string, group: TotalGroup) =>
  totalRow(organizationId, group.meter.meter.key, group.period.start);

/** Creates the missing guarded totals and locks them all, in key order, for the transaction. */
export async function lockGuardedTotals(
  tx: Transaction,
  organizationId: string,
  groups: TotalGroup[],
): Promise<Map<string, RunningTotal>> {
  if (groups.length === 0) return new Map();
  await tx
    .insert(usageTotals)
    .values(
      groups.map((g) => ({
        organizationId,
        meterKey: g.meter.meter.key,
        periodStart: g.period.start,
      })),
    )
    .onConflictDoNothing();
  const rows = await tx
    .select()
    .from(usageTotals)
    .where(or(...groups.map((g) => totalKey(organizationId, g))))
    .orderBy(usageTotals.meterKey, usageTotals.periodStart)
    .for('update');
  return new Map(rows.map((row) => [groupKeyOf(row), toRunningTotal(row)]));
}

/** A guarded total is locked: the value at lock time plus the rows actually stored. */
export async function writeGuardedTotal(
  tx: Transaction,
  organizationId: string,
  group: TotalGroup,
  lockedTotal: RunningTotal,
  rows: UsageEventRow[],
  at: Date,
): Promise<RunningTotal> {
  const total = rows.reduce(
    (t, row) => applyEvent(group.meter.aggregation, t, counted(row)),
    lockedTotal,
  );
  await tx
    .update(usageTotals)
    .set({
      value: formatDecimal(total.value),
      eventCount: total.eventCount,
      lastOccurredAt: total.last?.occurredAt ?? null,
      lastEventId: total.last?.eventId ?? null,
      updatedAt: at,
    })
    .where(totalKey(organizationId, group));
  return total;
}

/**
 * Merges the aggregate of the stored rows into an unguarded total in one atomic upsert, so no
 * read is needed: SUM and COUNT add, MAX keeps the greater, LAST keeps the later (occurredAt, id).
 */
export async function mergeIntoTotal(
  tx: Transaction,
  organizationId: string,
  group: TotalGroup,
  rows: UsageEventRow[],
  at: Date,
): Promise<RunningTotal> {
  const aggregation: Aggregation = group.meter.aggregation;
  const delta = rows.reduce(
    (total, row) => applyEvent(aggregation, total, counted(row)),
    emptyTotal(),
  );
  const merged = {
    SUM: sql`${usageTotals.value} + excluded.value`,
    COUNT: sql`${usageTotals.value} + excluded.value`,
    MAX: sql`greatest(${usageTotals.value}, excluded.value)`,
    LAST: sql`case when ${laterThanStored} then excluded.value else ${usageTotals.value} end`,
  }[aggregation];
  const [row] = await tx
    .insert(usageTotals)
    .values({
      organizationId,
      meterKey: group.meter.meter.key,
      periodStart: group.period.start,
      value: formatDecimal(delta.value),
      eventCount: delta.eventCount,
      lastOccurredAt: delta.last?.occurredAt ?? null,
      lastEventId: delta.last?.eventId ?? null,
      updatedAt: at,
    })
    .onConflictDoUpdate({
      target: [usageTotals.organizationId, usageTotals.meterKey, usageTotals.periodStart],
      set: {
        value: merged,
        eventCount: sql`${usageTotals.eventCount} + excluded.event_count`,
        lastOccurredAt: sql`case when ${laterThanStored} then excluded.last_occurred_at else ${usageTotals.lastOccurredAt} end`,
        lastEventId: sql`case when ${laterThanStored} then excluded.last_event_id else ${usageTotals.lastEventId} end`,
        updatedAt: at,
      },
    })
    .returning();
  if (!row) throw new Error('upsert of usage_totals returned no row');
  return toRunningTotal(row);
}

/** The incoming LAST event comes after the stored one: later occurredAt, or the same and a higher id. */
const laterThanStored = sql`(excluded.last_occurred_at, excluded.last_event_id) > (coalesce(${usageTotals.lastOccurredAt}, '-infinity'::timestamptz), coalesce(${usageTotals.lastEventId}, ''))`;

export function toRunningTotal(row: UsageTotalRow): RunningTotal {
  return {
    value: new Decimal(row.value),
    eventCount: row.eventCount,
    last:
      row.lastOccurredAt && row.lastEventId
        ? { occurredAt: row.lastOccurredAt, eventId: row.lastEventId }
        : null,
  };
}
