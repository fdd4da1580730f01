import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamps } from '../columns.ts';

/** A customer of the platform: the tenant that usage, quotas and invoices belong to. */
export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Where invoices and alert e-mails go. */
  billingEmail: text('billing_email'),
  stripeCustomerId: text('stripe_customer_id').unique(),
  ...timestamps,
});

export type OrganizationRow = typeof organizations.$inferSelect;
