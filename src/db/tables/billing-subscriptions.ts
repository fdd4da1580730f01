import { boolean, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant, timestamps } from '../columns.ts';
import { billingInterval, subscriptionStatus } from './enums.ts';
import { organizations } from './organizations.ts';
import { plans } from './plans.ts';

/**
 * The local record of an organization's subscription, one per organization. With Stripe
 * configured it mirrors the Stripe subscription; without, it is the ledger's own truth.
 */
export const billingSubscriptions = pgTable('billing_subscriptions', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id')
    .notNull()
    .unique()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  planId: text('plan_id')
    .notNull()
    .references(() => plans.id),
  status: subscriptionStatus('status').notNull(),
  /** Inclusive start of the period being billed now (UTC). */
  currentPeriodStart: instant('current_period_start').notNull(),
  /** Exclusive end: the 1st 00:00 UTC after the start. */
  currentPeriodEnd: instant('current_period_end').notNull(),
  trialEnd: instant('trial_end'),
  cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
  canceledAt: instant('canceled_at'),
  /** A change scheduled for the end of the period (a downgrade, usually). */
  pendingPlanId: text('pending_plan_id').references(() => plans.id),
  /**
   * How often the base price is charged. A yearly period runs to the 1st 00:00 UTC twelve
   * months after the month it began in; usage and quotas stay per calendar month.
   */
  interval: billingInterval('interval').notNull().default('MONTH'),
  /** An interval scheduled for the end of the period (yearly to monthly waits for the year's end). */
  pendingInterval: billingInterval('pending_interval'),
  stripeSubscriptionId: text('stripe_subscription_id').unique(),
  /** The Stripe subscription item that carries the plan's price. */
  stripeItemId: text('stripe_item_id'),
  /** When Stripe created the newest state applied here: older webhook events never overwrite it. */
  stripeStateAt: instant('stripe_state_at'),
  /** Failed payment attempts of the latest unpaid invoice (dunning). */
  failedPaymentAttempts: integer('failed_payment_attempts').notNull().default(0),
  ...timestamps,
});

/**
 * Every plan an organization's subscription has been on, from when: the invoice of a period bills
 * the base of the plan in force at its start and prices usage by the plan in force at its end,
 * whatever changed since.
 */
export const planAssignments = pgTable(
  'plan_assignments',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id),
    /** The interval its base was charged at from then: a yearly month carries no monthly base. */
    interval: billingInterval('interval').notNull().default('MONTH'),
    effectiveAt: instant('effective_at').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [index('plan_assignments_timeline_idx').on(t.organizationId, t.effectiveAt)],
);

export type BillingSubscriptionRow = typeof billingSubscriptions.$inferSelect;
export type PlanAssignmentRow = typeof planAssignments.$inferSelect;
