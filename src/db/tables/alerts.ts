import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgEnum, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { instant, quantity, timestamps } from '../columns.ts';
import { meters } from './meters.ts';
import { organizations } from './organizations.ts';

/**
 * A threshold (50, 75, 90 or 100 % of the limit) crossed by a meter in a period. The unique key
 * makes each fire exactly once; the row is written in the transaction that changed the usage.
 * `dispatchedAt` marks that its deliveries (webhooks, e-mail) have been queued.
 */
export const thresholdAlerts = pgTable(
  'threshold_alerts',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    meterKey: text('meter_key')
      .notNull()
      .references(() => meters.key),
    periodStart: instant('period_start').notNull(),
    /** Percent of the limit: 50, 75, 90 or 100. */
    threshold: integer('threshold').notNull(),
    /** Usage when it was crossed. */
    used: quantity('used').notNull(),
    /** The limit then in force. */
    limitQuantity: quantity('limit_quantity').notNull(),
    crossedAt: instant('crossed_at').notNull(),
    dispatchedAt: instant('dispatched_at'),
  },
  (t) => [
    unique('threshold_alerts_once').on(t.organizationId, t.meterKey, t.periodStart, t.threshold),
    index('threshold_alerts_undispatched_idx')
      .on(t.crossedAt)
      .where(sql`${t.dispatchedAt} is null`),
    check('threshold_alerts_threshold', sql`${t.threshold} in (50, 75, 90, 100)`),
  ],
);

/** Where an organization wants its alerts delivered, signed with the endpoint's secret. */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  /** HMAC-SHA256 key for the Billing-Signature header; shown once at creation, never logged. */
  signingSecret: text('signing_secret').notNull(),
  deletedAt: instant('deleted_at'),
  ...timestamps,
});

export const deliveryStatus = pgEnum('delivery_status', ['PENDING', 'SUCCEEDED', 'FAILED']);

/** One alert to one endpoint: attempts are counted here, retries scheduled by the job queue. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    alertId: text('alert_id')
      .notNull()
      .references(() => thresholdAlerts.id, { onDelete: 'cascade' }),
    /** e.g. threshold.crossed */
    event: text('event').notNull(),
    payload: jsonb('payload').notNull(),
    status: deliveryStatus('status').notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAt: instant('last_attempt_at'),
    responseStatus: integer('response_status'),
    ...timestamps,
  },
  (t) => [
    unique('webhook_deliveries_once').on(t.endpointId, t.alertId),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);

export const emailStatus = pgEnum('email_status', ['PENDING', 'SENT', 'FAILED', 'STORED']);

/**
 * Every alert e-mail: sent through SMTP when SMTP_URL is set (PENDING → SENT or FAILED), kept
 * here unsent otherwise (STORED), for an ADMIN to see.
 */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    alertId: text('alert_id').references(() => thresholdAlerts.id, { onDelete: 'cascade' }),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    status: emailStatus('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    sentAt: instant('sent_at'),
    ...timestamps,
  },
  (t) => [unique('email_outbox_once').on(t.alertId, t.recipient)],
);

export type ThresholdAlertRow = typeof thresholdAlerts.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EmailOutboxRow = typeof emailOutbox.$inferSelect;
