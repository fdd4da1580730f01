import { and, eq, sql } from 'drizzle-orm';
import { formatDecimal } from '../../billing/decimal.ts';
import type { Transaction } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { toPgArray } from '../../db/pg-array.ts';
import { queryRows } from '../../db/raw.ts';
import { type UsageEventRow, usageEvents } from '../../db/schema.ts';
import type { CheckedUsageEvent } from './usage-event-input.ts';

/**
 * Usage events, append-only and unique per (organization, idempotency key): storing an event
 * claims its key.
 */

/** The row a checked event is stored as. */
export function eventRow(
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

/** Stored events of the organization by idempotency key. */
export async function storedEvents(
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
export async function insertEvents(tx: Transaction, rows: UsageEventRow[]): Promise<Set<string>> {
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
