import { bigint, numeric, timestamp } from 'drizzle-orm/pg-core';

/** A UTC instant at millisecond precision, the precision of a JavaScript Date. */
export const instant = (name: string) =>
  timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

/** created_at / updated_at, shared by every table that keeps them. */
export const timestamps = {
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

/** Quantities and unit prices: exact decimals, 12 digits after the point, read as strings. */
export const quantity = (name: string) => numeric(name, { precision: 38, scale: 12 });

/** Money: an integer in the currency's smallest unit (cents). */
export const moneyAmount = (name: string) => bigint(name, { mode: 'bigint' });
