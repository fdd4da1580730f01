import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
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
 * What the month's invoice carries besides its base and usage: what an immediate plan change
 * owes or credits for the rest of the period, computed Stripe's way (unused time on the old
 * plan, remaining time on the new), as PRORATION lines; and, ledger-only, a yearly
 * subscription's base for its year, charged once when the year begins, as a BASE line. With
 * Stripe, Stripe invoices both itself.
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
    /** PRORATION, or BASE for a year's base price. */
    kind: text('kind').$type<'PRORATION' | 'BASE'>().notNull().default('PRORATION'),
    /** Start of the billing period (calendar month) it belongs to. */
    periodStart: instant('period_start').notNull(),
    effectiveAt: instant('effective_at').notNull(),
    /** Set when an invoice took it. */
    invoiceId: text('invoice_id'),
    ...timestamps,
  },
  (t) => [
    index('proration_items_open_idx').on(t.organizationId, t.periodStart),
    check('proration_items_kind', sql`${t.kind} in ('PRORATION', 'BASE')`),
  ],
);

/**
 * A second live Stripe subscription seen for an organization that has one already (a Checkout
 * completed beside a provisioned subscription, or made in the Dashboard): the customer would pay
 * both. Kept for the operator (the ADMIN `duplicateStripeSubscriptions` query), with what was
 * done: the one we do not know is canceled in Stripe (`canceledAt`), or why that failed.
 */
export const duplicateStripeSubscriptions = pgTable('duplicate_stripe_subscriptions', {
  /** The duplicate's Stripe id (sub_...): one row however often its events arrive. */
  stripeSubscriptionId: text('stripe_subscription_id').primaryKey(),
  organizationId: text('organization_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  /** The Stripe subscription the organization is billed by, kept. */
  keptStripeSubscriptionId: text('kept_stripe_subscription_id').notNull(),
  stripeCustomerId: text('stripe_customer_id').notNull(),
  detectedAt: instant('detected_at').notNull(),
  canceledAt: instant('canceled_at'),
  /** Stripe's refusal of the cancellation, when it failed (tried again on its next event). */
  cancelError: text('cancel_error'),
});

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type DuplicateStripeSubscriptionRow = typeof duplicateStripeSubscriptions.$inferSelect;
export type ProrationItemRow = typeof prorationItems.$inferSelect;
