import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import type { OverageTier } from '../../billing/pricing.ts';
import { moneyAmount, quantity, timestamps } from '../columns.ts';
import { billingInterval, limitMode } from './enums.ts';
import { meters } from './meters.ts';

/**
 * Plans are versioned: a price change makes a new version of the same key, and subscriptions keep
 * the version they were sold (Stripe prices are immutable the same way).
 */
export const plans = pgTable(
  'plans',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    version: integer('version').notNull().default(1),
    name: text('name').notNull(),
    description: text('description'),
    /**
     * The price of the default interval, in the smallest currency unit (every interval's price is
     * in plan_prices): the monthly one, or the only one a yearly-only plan has.
     */
    basePriceAmount: moneyAmount('base_price_amount').notNull(),
    currency: text('currency').notNull().default('usd'),
    /** The default interval: MONTH when the version has a monthly price, else YEAR. */
    interval: billingInterval('interval').notNull().default('MONTH'),
    /** Trial length for self-serve sign-up through Checkout. */
    trialDays: integer('trial_days').notNull().default(0),
    /** Inactive plans are no longer sold; existing subscriptions keep them. */
    active: boolean('active').notNull().default(true),
    /** Not listed and not offered: only an ADMIN sells it, e.g. an enterprise deal. */
    private: boolean('private').notNull().default(false),
    /** The Stripe product of this plan key, once the catalog is synced (prices in plan_prices). */
    stripeProductId: text('stripe_product_id'),
    ...timestamps,
  },
  (t) => [
    unique('plans_key_version_unique').on(t.key, t.version),
    check('plans_base_price_non_negative', sql`${t.basePriceAmount} >= 0`),
    check('plans_trial_days_non_negative', sql`${t.trialDays} >= 0`),
  ],
);

/** What a subscription on a version pays per interval: one price per interval it is sold at. */
export const planPrices = pgTable(
  'plan_prices',
  {
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    interval: billingInterval('interval').notNull(),
    /** In the smallest unit of the plan's currency, per interval. */
    amount: moneyAmount('amount').notNull(),
    /** The Stripe price of this version and interval, once made. */
    stripePriceId: text('stripe_price_id').unique(),
  },
  (t) => [
    primaryKey({ columns: [t.planId, t.interval] }),
    check('plan_prices_amount_non_negative', sql`${t.amount} >= 0`),
  ],
);

/** What a plan includes of a meter per period, and what happens past it. */
export const planQuotas = pgTable(
  'plan_quotas',
  {
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    /** Included quantity per period; null means unlimited. */
    includedQuantity: quantity('included_quantity'),
    limitMode: limitMode('limit_mode').notNull(),
    /** Price per unit above the included quantity, major units ("0.0003"); OVERAGE only. */
    overageUnitPrice: quantity('overage_unit_price'),
    /** Graduated tiers instead of one overage price; OVERAGE only. */
    overageTiers: jsonb('overage_tiers').$type<OverageTier[]>(),
  },
  (t) => [
    primaryKey({ columns: [t.planId, t.meterKey] }),
    check(
      'plan_quotas_price_only_for_overage',
      sql`${t.limitMode} = 'OVERAGE' OR (${t.overageUnitPrice} IS NULL AND ${t.overageTiers} IS NULL)`,
    ),
    check(
      'plan_quotas_overage_has_price',
      sql`${t.limitMode} <> 'OVERAGE' OR ${t.includedQuantity} IS NULL OR ${t.overageUnitPrice} IS NOT NULL OR ${t.overageTiers} IS NOT NULL`,
    ),
    check(
      'plan_quotas_non_negative',
      sql`(${t.includedQuantity} IS NULL OR ${t.includedQuantity} >= 0) AND (${t.overageUnitPrice} IS NULL OR ${t.overageUnitPrice} >= 0)`,
    ),
  ],
);

export type PlanRow = typeof plans.$inferSelect;
export type PlanQuotaRow = typeof planQuotas.$inferSelect;
export type PlanPriceRow = typeof planPrices.$inferSelect;
export type { OverageTier };
