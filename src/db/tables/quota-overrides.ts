import { sql } from 'drizzle-orm';
import { check, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { quantity, timestamps } from '../columns.ts';
import { limitMode } from './enums.ts';
import { meters } from './meters.ts';
import { organizations } from './organizations.ts';

/** An organization's own limit for a meter, set by an ADMIN; it replaces the plan's quota. */
export const quotaOverrides = pgTable(
  'quota_overrides',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    /** Limit per period; null means unlimited. */
    limitQuantity: quantity('limit_quantity'),
    limitMode: limitMode('limit_mode').notNull(),
    /** Major units; OVERAGE only. Null keeps the plan's overage price. */
    overageUnitPrice: quantity('overage_unit_price'),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.meterKey] }),
    check(
      'quota_overrides_price_only_for_overage',
      sql`${t.limitMode} = 'OVERAGE' OR ${t.overageUnitPrice} IS NULL`,
    ),
  ],
);

export type QuotaOverrideRow = typeof quotaOverrides.$inferSelect;
