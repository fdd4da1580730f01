import { and, eq, isNull, lt } from 'drizzle-orm';
import type { RequestContext, Services } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  emailOutbox,
  meters,
  organizations,
  type ThresholdAlertRow,
  thresholdAlerts,
  webhookDeliveries,
  webhookEndpoints,
} from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { announceAlerts } from '../live/announcements.ts';
import { alertEmail, alertFacts } from './alert-content.ts';

const ALERT_EVENT = 'threshold.crossed';

type DispatchServices = Pick<Services, 'db' | 'jobs' | 'config' | 'now'>;

/**
 * After the commit that fired them: alerts are announced live, in the order they fired, then
 * dispatched. A failure here never undoes the commit: the alerts are stored, and the sweeper
 * dispatches what was not.
 */
export async function alertsFired(
  ctx: RequestContext,
  organizationId: string,
  alerts: readonly ThresholdAlertRow[],
): Promise<void> {
  announceAlerts(ctx, organizationId, alerts);
  if (alerts.length === 0) return;
  await dispatchAlerts(
    ctx,
    ctx.log,
    alerts.map((a) => a.id),
  ).catch((error: unknown) => {
    ctx.log.error({ err: error, organizationId }, 'alert dispatch failed; the sweeper will retry');
  });
}

/**
 * Turns fired alerts into deliveries: one webhook delivery per live endpoint of the organization
 * and one e-mail to its billing address, written in one transaction with the alert's
 * `dispatchedAt` (so an alert is dispatched once), then queued as jobs. A crash between the two
 * leaves rows the sweeper queues again (sweepUndelivered).
 */
async function dispatchAlerts(
  services: DispatchServices,
  log: Logger,
  alertIds: readonly string[],
): Promise<void> {
  for (const alertId of alertIds) {
    const queued = await services.db.transaction((tx) => recordDeliveries(tx, services, alertId));
    if (!queued) continue;
    for (const delivery of queued.deliveries)
      await services.jobs.send('webhook-delivery', { deliveryId: delivery.id });
    if (queued.email?.status === 'PENDING') {
      await services.jobs.send('alert-email', { emailId: queued.email.id });
    } else if (queued.email) {
      // Addresses are customer data, not secrets; the body stays in the outbox.
      log.info(
        { emailId: queued.email.id, to: queued.email.recipient, subject: queued.email.subject },
        'alert e-mail kept in the outbox (no SMTP_URL)',
      );
    }
  }
}

/** The deliveries of one undispatched alert, written with its dispatchedAt; null if none is due. */
async function recordDeliveries(tx: Executor, services: DispatchServices, alertId: string) {
  const [alert] = await tx
    .select()
    .from(thresholdAlerts)
    .where(and(eq(thresholdAlerts.id, alertId), isNull(thresholdAlerts.dispatchedAt)))
    .for('update', { skipLocked: true });
  if (!alert) return null;
  const facts = alertFacts(alert);
  const deliveries = await recordWebhookDeliveries(tx, alert, facts);
  const email = await recordAlertEmail(tx, services, alert, facts);
  await tx
    .update(thresholdAlerts)
    .set({ dispatchedAt: services.now() })
    .where(eq(thresholdAlerts.id, alert.id));
  return { deliveries, email };
}

/** One delivery per live webhook endpoint of the alert's organization. */
async function recordWebhookDeliveries(
  tx: Executor,
  alert: ThresholdAlertRow,
  facts: ReturnType<typeof alertFacts>,
) {
  const endpoints = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.organizationId, alert.organizationId),
        isNull(webhookEndpoints.deletedAt),
      ),
    );
  if (endpoints.length === 0) return [];
  return tx
    .insert(webhookDeliveries)
    .values(
      endpoints.map((endpoint) => ({
        id: newId('whd'),
        organizationId: alert.organizationId,
        endpointId: endpoint.id,
        alertId: alert.id,
        event: ALERT_EVENT,
        payload: { alert: facts },
      })),
    )
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id });
}

/** The alert's e-mail to the organization's billing address, if it has one. */
async function recordAlertEmail(
  tx: Executor,
  services: DispatchServices,
  alert: ThresholdAlertRow,
  facts: ReturnType<typeof alertFacts>,
) {
  const [organization] = await tx
    .select()
    .from(organizations)
    .where(eq(organizations.id, alert.organizationId));
  if (!organization?.billingEmail) return undefined;
  const [meter] = await tx.select().from(meters).where(eq(meters.key, alert.meterKey));
  const content = alertEmail(facts, organization.name, meter?.unit ?? 'units');
  const [email] = await tx
    .insert(emailOutbox)
    .values({
      id: newId('eml'),
      organizationId: alert.organizationId,
      alertId: alert.id,
      recipient: organization.billingEmail,
      subject: content.subject,
      body: content.body,
      status: services.config.alerts.smtpUrl ? 'PENDING' : 'STORED',
    })
    .onConflictDoNothing()
    .returning({
      id: emailOutbox.id,
      status: emailOutbox.status,
      recipient: emailOutbox.recipient,
      subject: emailOutbox.subject,
    });
  return email;
}

/**
 * The sweeper's work: alerts a crash left undispatched, and deliveries or e-mails whose job was
 * never queued (still untried after a while). Sending a delivery twice is harmless to its state:
 * an attempt first claims the row.
 */
export async function sweepUndelivered(
  services: DispatchServices,
  log: Logger,
): Promise<{ alerts: number; deliveries: number; emails: number }> {
  const now = services.now().getTime();
  const alerts = await services.db
    .select({ id: thresholdAlerts.id })
    .from(thresholdAlerts)
    .where(
      and(
        isNull(thresholdAlerts.dispatchedAt),
        lt(thresholdAlerts.crossedAt, new Date(now - 30_000)),
      ),
    )
    .limit(1000);
  await dispatchAlerts(
    services,
    log,
    alerts.map((a) => a.id),
  );
  const stale = new Date(now - 5 * 60_000);
  const deliveries = await services.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, 'PENDING'),
        eq(webhookDeliveries.attempts, 0),
        lt(webhookDeliveries.createdAt, stale),
      ),
    )
    .limit(1000);
  for (const d of deliveries) await services.jobs.send('webhook-delivery', { deliveryId: d.id });
  const emails = await services.db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(
      and(
        eq(emailOutbox.status, 'PENDING'),
        eq(emailOutbox.attempts, 0),
        lt(emailOutbox.createdAt, stale),
      ),
    )
    .limit(1000);
  for (const e of emails) await services.jobs.send('alert-email', { emailId: e.id });
  if (alerts.length + deliveries.length + emails.length > 0) {
    log.warn(
      { alerts: alerts.length, deliveries: deliveries.length, emails: emails.length },
      'requeued undelivered alerts',
    );
  }
  return { alerts: alerts.length, deliveries: deliveries.length, emails: emails.length };
}
