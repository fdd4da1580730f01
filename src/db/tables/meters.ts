import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamps } from '../columns.ts';
import { aggregation } from './enums.ts';

/** What is measured (api_requests, storage_gb, ...) and how events add up within a period. */
export const meters = pgTable('meters', {
  /** Stable key used by producers and plans, e.g. api_requests. */
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** For people, singular: request, GB, seat. */
  unit: text('unit').notNull(),
  aggregation: aggregation('aggregation').notNull(),
  ...timestamps,
});

export type MeterRow = typeof meters.$inferSelect;
