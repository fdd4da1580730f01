import { pgEnum } from 'drizzle-orm/pg-core';

export const role = pgEnum('role', ['ADMIN', 'OWNER', 'VIEWER', 'INGEST']);
export const aggregation = pgEnum('aggregation', ['SUM', 'COUNT', 'MAX', 'LAST']);
export const limitMode = pgEnum('limit_mode', ['HARD', 'SOFT', 'OVERAGE']);
export const billingInterval = pgEnum('billing_interval', ['MONTH', 'YEAR']);
export const subscriptionStatus = pgEnum('subscription_status', [
  'TRIALING',
  'ACTIVE',
  'PAST_DUE',
  'CANCELED',
  'PAUSED',
  'INCOMPLETE',
  'UNPAID',
]);

export type Role = (typeof role.enumValues)[number];
export type Aggregation = (typeof aggregation.enumValues)[number];
export type LimitMode = (typeof limitMode.enumValues)[number];
export type BillingInterval = (typeof billingInterval.enumValues)[number];
export type SubscriptionStatus = (typeof subscriptionStatus.enumValues)[number];
