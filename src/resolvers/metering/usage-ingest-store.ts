import { and, eq, or, sql } from 'drizzle-orm';
import {
  type Aggregation,
  applyEvent,
  emptyTotal,
  type RunningTotal,
} from '../../billing/aggregation.ts';
import { Decimal, formatDecimal } from '../../billing/decimal.ts';
import { type Period, startOfUtcMonth } from '../../billing/period.ts';
import {
  type EffectiveQuota,
  hardLimitOf,
  refusedByHardLimit,
  requestedBy,
} from '../../billing/quota.ts';
import type { Threshold } from '../../billing/thresholds.ts';
import type { Database, Transaction } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { toPgArray } from '../../db/pg-array.ts';
import { queryRows } from '../../db/raw.ts';
import type { ThresholdAlertRow } from '../../db/schema.ts';
import {
  type UsageEventRow,
  type UsageTotalRow,
  usageEvents,
  usageTotals,
} from '../../db/schema.ts';
import { QuotaExceededError, ValidationError } from '../../errors.ts';
import { fireThresholds, type KnownFired } from '../alerts/threshold-store.ts';
import { invoicedMonths } from './closed-periods-store.ts';
import type { MeterTerms, OrganizationTerms } from './meter-terms-store.ts';
import type { CheckedUsageEvent } from './usage-event-input.ts';

/** What became of one event of a request, in the request's order. */
export type IngestOutcome =
  | { kind: 'accepted'; event: UsageEventRow }
  | { kind: 'duplicate'; event: UsageEventRow }
  | { kind: 'rejected'; error: ValidationError | QuotaExceededError };

/** A period total after this ingestion changed it. */
interface ChangedTotal {
  meterKey: string;
  period: Period;
  total: RunningTotal;
  updatedAt: Date;
}

export interface IngestResult {
  outcomes: IngestOutcome[];
  changed: ChangedTotal[];
  /** Thresholds this ingestion crossed, in the order they fired. */
  alerts: ThresholdAlertRow[];
  /** Every threshold each changed total has reached (fired now or before). */
  reached: { meterKey: string; periodStart: Date; thresholds: Threshold[] }[];
}

interface Group {
  key: string;
  meter: MeterTerms;
  period: Period;
  /** A HARD limit applies: the total is locked and every event checked against it. */
  guarded: boolean;
}

/**
 * Records checked usage events for one organization, exactly once, in one transaction:
 *
 * - the event rows claim their idempotency keys (unique per organization) in the same
 *   transaction that changes the period totals, so a key is never claimed without its event
 *   being counted; a key claimed before (stored, or earlier in the request) is a duplicate,
 *   counted zero more times and answered with the original event;
 * - totals under a HARD limit are locked and read first and each event is checked against the
 *   running value, so concurrent producers never take them past the limit; other totals are
 *   changed by one atomic upsert each that merges the request's aggregate into them;
 * - locks are always taken in the same order (totals by key, event rows by idempotency key), so
 *   concurrent requests cannot deadlock.
 *
 * `prechecked` holds, per position, a checked event or the ValidationError it failed.
 */
export async function ingestUsage(
  db: Database,
  terms: OrganizationTerms,
  prechecked: (CheckedUsageEvent | ValidationError)[],
  receivedAt: Date,
  knownFired: KnownFired = () => false,
): Promise<IngestResult> {
  const organizationId = terms.organizationId;
  const outcomes: (IngestOutcome | undefined)[] = prechecked.map((item) =>
    item instanceof Error ? { kind: 'rejected', error: item } : undefined,
  );
  const candidates = prechecked.flatMap((item, index) =>
    item instanceof Error ? [] : [{ index, event: item }],
  );
  if (candidates.length === 0) {
    return { outcomes: outcomes as IngestOutcome[], changed: [], alerts: [], reached: [] };
  }

  const groups = groupsOf(
    terms,
    candidates.map((c) => c.event),
  );
  // Each event's group, worked out once.
  const grouped = candidates.map((c) => ({
    ...c,
    group: groups.get(groupKeyOf(c.event)) as Group,
  }));
  const alerts: ThresholdAlertRow[] = [];
  const reached: IngestResult['reached'] = [];
  const changed = await db.transaction(async (tx) => {
    const closed = await closedGroups(tx, organizationId, groups, receivedAt);
    const guarded = [...groups.values()].filter((g) => g.guarded && !closed.has(g));
    const locked = await lockGuardedTotals(tx, organizationId, guarded);
    const running = new Map(locked);
    // Under a HARD limit, or in an invoiced month, a retry must be known as one first.
    const lookedUp = grouped
      .filter((c) => c.group.guarded || closed.has(c.group))
      .map((c) => c.event.idempotencyKey);
    const known = await storedEvents(tx, organizationId, lookedUp);

    const claimed = new Map<string, UsageEventRow>();
    const toInsert: { index: number; row: UsageEventRow; group: Group }[] = [];
    for (const { index, event, group } of grouped) {
      const original = known.get(event.idempotencyKey) ?? claimed.get(event.idempotencyKey);
      if (original) {
        outcomes[index] = { kind: 'duplicate', event: original };
        continue;
      }
      if (closed.has(group)) {
        outcomes[index] = { kind: 'rejected', error: periodInvoiced(event) };
        continue;
      }
      const row = eventRow(organizationId, event, receivedAt);
      if (group.guarded) {
        const current = running.get(group.key) as RunningTotal;
        const next = applyEvent(group.meter.aggregation, current, counted(row));
        if (refusedByHardLimit(group.meter.quota, next.value)) {
          outcomes[index] = { kind: 'rejected', error: quotaExceeded(group, current, event) };
          continue;
        }
        running.set(group.key, next);
      }
      claimed.set(event.idempotencyKey, row);
      toInsert.push({ index, row, group });
    }

    // A concurrent request may have claimed a key since (one we did not look up, or for a total
    // we do not hold): the unique index decides, and the loser is a duplicate.
    const inserted = await insertEvents(
      tx,
      toInsert.map((t) => t.row),
    );
    const lostKeys = toInsert
      .filter((t) => !inserted.has(t.row.id))
      .map((t) => t.row.idempotencyKey);
    const winners = lostKeys.length ? await storedEvents(tx, organizationId, lostKeys) : new Map();
    for (const { index, row } of toInsert) {
      outcomes[index] = inserted.has(row.id)
        ? { kind: 'accepted', event: row }
        : { kind: 'duplicate', event: winners.get(row.idempotencyKey) as UsageEventRow };
    }

    const storedByGroup = new Map<Group, UsageEventRow[]>();
    for (const { row, group } of toInsert) {
      if (!inserted.has(row.id)) continue;
      const rows = storedByGroup.get(group);
      if (rows) rows.push(row);
      else storedByGroup.set(group, [row]);
    }
    const result: ChangedTotal[] = [];
    for (const group of groups.values()) {
      const rows = storedByGroup.get(group);
      if (!rows) continue;
      const total = group.guarded
        ? await writeGuardedTotal(
            tx,
            organizationId,
            group,
            locked.get(group.key) as RunningTotal,
            rows,
            receivedAt,
          )
        : await mergeIntoTotal(tx, organizationId, group, rows, receivedAt);
      result.push({
        meterKey: group.meter.meter.key,
        period: group.period,
        total,
        updatedAt: receivedAt,
      });
      // In the same transaction: a threshold is fired exactly when the usage crossing it commits.
      const crossing = await fireThresholds(tx, {
        organizationId,
        meterKey: group.meter.meter.key,
        period: group.period,
        used: total.value,
        limit: group.meter.quota.limit,
        at: receivedAt,
        knownFired,
      });
      alerts.push(...crossing.fired);
      reached.push({
        meterKey: group.meter.meter.key,
        periodStart: group.period.start,
        thresholds: crossing.reached,
      });
    }
    return result;
  });

  return { outcomes: outcomes as IngestOutcome[], changed, alerts, reached };
}

/** The groups of past months that are invoiced already: closed for usage. */
async function closedGroups(
  tx: Transaction,
  organizationId: string,
  groups: Map<string, Group>,
  now: Date,
): Promise<Set<Group>> {
  const thisMonth = startOfUtcMonth(now);
  const past = [...groups.values()].filter((g) => g.period.start < thisMonth);
  if (past.length === 0) return new Set();
  const months = [...new Set(past.map((g) => g.period.start.getTime()))].map((t) => new Date(t));
  const invoiced = await invoicedMonths(tx, organizationId, months);
  return new Set(past.filter((g) => invoiced.has(g.period.start.getTime())));
}

function periodInvoiced(event: CheckedUsageEvent): ValidationError {
  return ValidationError.forField(
    ['occurredAt'],
    `lies in the period ${event.period.start.toISOString().slice(0, 7)}, which is invoiced: closed for usage`,
  );
}

function groupKeyOf(event: { meterKey: string; period?: Period; periodStart?: Date }): string {
  const start = event.period?.start ?? (event.periodStart as Date);
  return `${event.meterKey}\u0000${start.toISOString()}`;
}

/** The (meter, period) totals a request touches, in lock order. */
function groupsOf(terms: OrganizationTerms, events: CheckedUsageEvent[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const event of events) {
    const key = groupKeyOf(event);
    if (groups.has(key)) continue;
    const meter = terms.meters.get(event.meterKey);
    if (!meter) throw new Error(`meter ${event.meterKey} has no terms`);
    groups.set(key, { key, meter, period: event.period, guarded: isGuarded(meter.quota) });
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isGuarded(quota: EffectiveQuota): boolean {
  return hardLimitOf(quota) !== null;
}

function eventRow(
  organizationId: string,
  event: CheckedUsageEvent,
  receivedAt: Date,
): UsageEventRow {
  return {
    id: newId('evt'),
    organizationId,
    meterKey: event.meterKey,
    quantity: formatDecimal(event.quantity),
    idempotencyKey: event.idempotencyKey,
    occurredAt: event.occurredAt,
    receivedAt,
    periodStart: event.period.start,
    metadata: event.metadata,
  };
}

function counted(row: UsageEventRow) {
  return { id: row.id, quantity: new Decimal(row.quantity), occurredAt: row.occurredAt };
}

function quotaExceeded(
  group: Group,
  current: RunningTotal,
  event: CheckedUsageEvent,
): QuotaExceededError {
  return new QuotaExceededError({
    meterKey: event.meterKey,
    limit: formatDecimal(group.meter.quota.limit ?? new Decimal(0)),
    used: formatDecimal(current.value),
    requested: formatDecimal(requestedBy(group.meter.aggregation, event.quantity)),
    resetsAt: event.period.end,
  });
}

/** The row of one period total. */
export const totalRow = (organizationId: string, meterKey: string, periodStart: Date) =>
  and(
    eq(usageTotals.organizationId, organizationId),
    eq(usageTotals.meterKey, meterKey),
    eq(usageTotals.periodStart, periodStart),
  );

const totalKey = (organizationId: string, group: Group) =>
  totalRow(organizationId, group.meter.meter.key, group.period.start);

/** Creates the missing guarded totals and locks them all, in key order, for the transaction. */
async function lockGuardedTotals(
  tx: Transaction,
  organizationId: string,
  groups: Group[],
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
async function writeGuardedTotal(
  tx: Transaction,
  organizationId: string,
  group: Group,
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
async function mergeIntoTotal(
  tx: Transaction,
  organizationId: string,
  group: Group,
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

async function storedEvents(
  tx: Transaction,
  organizationId: string,
  keys: string[],
): Promise<Map<string, UsageEventRow>> {
  if (keys.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(usageEvents)
    .where(
      and(
        eq(usageEvents.organizationId, organizationId),
        sql`${usageEvents.idempotencyKey} = any(${toPgArray([...new Set(keys)])}::text[])`,
      ),
    );
  return new Map(rows.map((row) => [row.idempotencyKey, row]));
}

/**
 * Inserts event rows, in idempotency-key order, as columns of arrays (one parameter per column
 * whatever the number of rows); answers the ids actually stored: a key already claimed is skipped.
 */
async function insertEvents(tx: Transaction, rows: UsageEventRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const ordered = [...rows].sort((a, b) =>
    a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0,
  );
  const column = (value: (row: UsageEventRow) => string | null) => toPgArray(ordered.map(value));
  const [first] = ordered as [UsageEventRow];
  const returned = await queryRows<{ id: string }>(
    tx,
    sql`insert into usage_events
          (id, organization_id, meter_key, quantity, idempotency_key, occurred_at, received_at, period_start, metadata)
        select t.id, ${first.organizationId}, t.meter_key, t.quantity::numeric, t.idempotency_key,
               t.occurred_at::timestamptz, ${first.receivedAt.toISOString()}::timestamptz, t.period_start::timestamptz,
               t.metadata::jsonb
        from unnest(
          ${column((r) => r.id)}::text[], ${column((r) => r.meterKey)}::text[], ${column((r) => r.quantity)}::text[],
          ${column((r) => r.idempotencyKey)}::text[], ${column((r) => r.occurredAt.toISOString())}::text[],
          ${column((r) => r.periodStart.toISOString())}::text[],
          ${column((r) => (r.metadata === null || r.metadata === undefined ? null : JSON.stringify(r.metadata)))}::text[]
        ) as t(id, meter_key, quantity, idempotency_key, occurred_at, period_start, metadata)
        on conflict (organization_id, idempotency_key) do nothing
        returning id`,
  );
  return new Set(returned.map((r) => r.id));
}
