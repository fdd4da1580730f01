import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  pgEnum,
  pgSequence,
  pgTable,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { instant, moneyAmount, quantity, timestamps } from '../columns.ts';
import { meters } from './meters.ts';
import { organizations } from './organizations.ts';

export const invoiceStatus = pgEnum('invoice_status', [
  'DRAFT',
  'OPEN',
  'PAID',
  'VOID',
  'UNCOLLECTIBLE',
]);
export const lineItemKind = pgEnum('line_item_kind', ['BASE', 'OVERAGE', 'PRORATION', 'CREDIT']);

/** Invoice numbers (INV-000001), drawn when an invoice is finalized. */
export const invoiceNumbers = pgSequence('invoice_numbers', { startWith: 1 });

/**
 * One invoice per organization and billing period (a calendar month, or from a mid-month start
 * to the next 1st): the statement of what the period cost. Written DRAFT by the invoice run
 * (provisional until the period's grace window has passed),
 * OPEN once finalized (with Stripe: once Stripe's invoice is), then PAID, VOID or UNCOLLECTIBLE.
 */
export const invoices = pgTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    number: text('number').unique(),
    status: invoiceStatus('status').notNull(),
    /** Start of the calendar month billed (the key of the period, whatever its first day). */
    monthStart: instant('month_start').notNull(),
    periodStart: instant('period_start').notNull(),
    periodEnd: instant('period_end').notNull(),
    currency: text('currency').notNull(),
    subtotal: moneyAmount('subtotal').notNull(),
    total: moneyAmount('total').notNull(),
    /** What this invoice collects: the total less what the Stripe subscription billed already. */
    amountDue: moneyAmount('amount_due').notNull(),
    amountPaid: moneyAmount('amount_paid').notNull().default(sql`0`),
    stripeInvoiceId: text('stripe_invoice_id').unique(),
    hostedInvoiceUrl: text('hosted_invoice_url'),
    /** Set before the first push to Stripe: a push that finds it set looks for what a crash left. */
    stripePushStartedAt: instant('stripe_push_started_at'),
    /** When Stripe's newest state applied here was read: older reads never overwrite it. */
    stripeStateAt: instant('stripe_state_at'),
    /** Failed payment attempts of Stripe's invoice (dunning). */
    failedPaymentAttempts: integer('failed_payment_attempts').notNull().default(0),
    finalizedAt: instant('finalized_at'),
    paidAt: instant('paid_at'),
    /**
     * When the month closed for the organization's usage: set by the run after the period's grace
     * window (USAGE_GRACE_HOURS). Null while the invoice is a provisional DRAFT that late usage
     * still goes into; the run recomputes it then.
     */
    usageClosedAt: instant('usage_closed_at'),
    ...timestamps,
  },
  (t) => [
    unique('invoices_period_unique').on(t.organizationId, t.monthStart),
    index('invoices_listing_idx').on(t.organizationId, t.periodStart, t.id),
    index('invoices_unfinished_idx').on(t.monthStart).where(sql`${t.status} = 'DRAFT'`),
  ],
);

/** The lines of an invoice, in order, as a person checks them. */
export const invoiceLineItems = pgTable(
  'invoice_line_items',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    kind: lineItemKind('kind').notNull(),
    description: text('description').notNull(),
    meterKey: text('meter_key').references(() => meters.key),
    used: quantity('used'),
    included: quantity('included'),
    excess: quantity('excess'),
    unitPrice: quantity('unit_price'),
    rateDescription: text('rate_description'),
    /** Smallest currency unit; negative is a credit. */
    amount: moneyAmount('amount').notNull(),
    /** Billed already by the Stripe subscription (base in advance, prorations at the change). */
    prepaid: boolean('prepaid').notNull().default(false),
    stripeInvoiceItemId: text('stripe_invoice_item_id').unique(),
  },
  (t) => [unique('invoice_line_items_position_unique').on(t.invoiceId, t.position)],
);

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineItemRow = typeof invoiceLineItems.$inferSelect;
export type InvoiceStatus = (typeof invoiceStatus.enumValues)[number];

/**
 * What an invoice run could not do, kept for the operator (the ADMIN `invoiceRunFailures` query):
 * an organization that could not be invoiced (no invoice id), or an invoice Stripe refused.
 * One row per failure and run; a later run that succeeds leaves the rows as the history.
 */
export const invoiceRunFailures = pgTable(
  'invoice_run_failures',
  {
    id: text('id').primaryKey(),
    /** YYYY-MM */
    period: text('period').notNull(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    invoiceId: text('invoice_id'),
    error: text('error').notNull(),
    failedAt: instant('failed_at').notNull(),
  },
  (t) => [index('invoice_run_failures_period_idx').on(t.period, t.failedAt)],
);

export type InvoiceRunFailureRow = typeof invoiceRunFailures.$inferSelect;
