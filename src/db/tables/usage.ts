import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { instant, quantity } from '../columns.ts';
import { meters } from './meters.ts';
import { organizations } from './organizations.ts';

/**
 * Usage as producers report it: append-only. An idempotency key is claimed per organization by
 * the row itself, in the same transaction that changes the period total, so a key is never
 * claimed without the event being counted.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    /** As reported; COUNT meters count each event as 1 whatever this says. */
    quantity: quantity('quantity').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    occurredAt: instant('occurred_at').notNull(),
    receivedAt: instant('received_at').notNull(),
    /** Start of the calendar month (UTC) the event is counted in. */
    periodStart: instant('period_start').notNull(),
    metadata: jsonb('metadata'),
  },
  (t) => [
    unique('usage_events_idempotency_unique').on(t.organizationId, t.idempotencyKey),
    index('usage_events_meter_time_idx').on(t.organizationId, t.meterKey, t.occurredAt),
    check('usage_events_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

/**
 * The running aggregate of a meter for an organization and period, kept in the transaction that
 * stores each event, so that quota checks never scan events. `value` is the SUM, the COUNT, the
 * MAX, or for LAST the quantity of the event with the latest (occurred_at, id).
 */
export const usageTotals = pgTable(
  'usage_totals',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    periodStart: instant('period_start').notNull(),
    value: quantity('value').notNull().default('0'),
    eventCount: bigint('event_count', { mode: 'number' }).notNull().default(0),
    /** The event that decides a LAST meter's value: latest occurredAt, then highest id. */
    lastOccurredAt: instant('last_occurred_at'),
    lastEventId: text('last_event_id'),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.meterKey, t.periodStart] })],
);

/** Per-day aggregates written by the daily rollup job (UTC days). */
export const usageDailySnapshots = pgTable(
  'usage_daily_snapshots',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    day: date('day', { mode: 'string' }).notNull(),
    value: quantity('value').notNull(),
    eventCount: bigint('event_count', { mode: 'number' }).notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.meterKey, t.day] })],
);

export type UsageEventRow = typeof usageEvents.$inferSelect;
export type UsageTotalRow = typeof usageTotals.$inferSelect;
