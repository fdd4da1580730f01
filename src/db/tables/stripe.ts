import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { instant, moneyAmount, timestamps } from '../columns.ts';
import { billingSubscriptions } from './billing-subscriptions.ts';
import { organizations } from './organizations.ts';

/**
 * Stripe webhook events, stored by id before anything else happens (a redelivery is
 * acknowledged and ignored), then processed from here by a job, in order of `created` per object.
 */
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** The id of the object the event is about (sub_..., in_..., cs_...). */
    objectId: text('object_id'),
    /** When Stripe created the event. */
    stripeCreatedAt: instant('stripe_created_at').notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: instant('received_at').notNull().defaultNow(),
    processedAt: instant('processed_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('stripe_events_unprocessed_idx').on(t.receivedAt)],
);

/**
 * What an immediate plan change owes or credits for the rest of the period, computed Stripe's
 * way (unused time on the old plan, remaining time on the new). The ledger's invoice for the
 * period carries them as PRORATION lines; with Stripe, Stripe invoices them at once.
 */
export const prorationItems = pgTable(
  'proration_items',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => billingSubscriptions.id, { onDelete: 'cascade' }),
    /** Smallest currency unit; negative is a credit. */
    amount: moneyAmount('amount').notNull(),
    currency: text('currency').notNull(),
    description: text('description').notNull(),
    /** Start of the billing period (calendar month) it belongs to. */
    periodStart: instant('period_start').notNull(),
    effectiveAt: instant('effective_at').notNull(),
    /** Set when an invoice took it. */
    invoiceId: text('invoice_id'),
    ...timestamps,
  },
  (t) => [index('proration_items_open_idx').on(t.organizationId, t.periodStart)],
);

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type ProrationItemRow = typeof prorationItems.$inferSelect;
