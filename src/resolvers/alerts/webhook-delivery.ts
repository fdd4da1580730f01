import { and, eq, sql } from 'drizzle-orm';
import type { Services } from '../../context.ts';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.ts';

/** Thrown to have the job queue try again later (with exponential backoff). */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * One attempt of a webhook delivery. The attempt first claims the row (counting it), then posts
 * the signed body; a 2xx ends the delivery, anything else is retried until the last attempt,
 * after which it is marked FAILED. Every attempt's time and response status are kept.
 */
export async function attemptWebhookDelivery(
  services: Pick<Services, 'db' | 'config' | 'now'>,
  log: Logger,
  deliveryId: string,
): Promise<'succeeded' | 'failed' | 'skipped'> {
  const { db, config } = services;
  const [delivery] = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: services.now() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'PENDING')))
    .returning();
  if (!delivery) return 'skipped';
  const [endpoint] = await db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, delivery.endpointId));
  const finish = (status: 'SUCCEEDED' | 'FAILED', responseStatus: number | null) =>
    db
      .update(webhookDeliveries)
      .set({ status, responseStatus })
      .where(eq(webhookDeliveries.id, delivery.id));
  if (!endpoint || endpoint.deletedAt) {
    await finish('FAILED', null);
    return 'failed';
  }

  const timestamp = Math.floor(services.now().getTime() / 1000);
  const body = JSON.stringify({
    id: delivery.id,
    type: delivery.event,
    created: timestamp,
    data: delivery.payload,
  });
  let responseStatus: number | null = null;
  let problem = '';
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'graphql-billing-server/webhooks',
        'billing-delivery': delivery.id,
        [SIGNATURE_HEADER]: signatureHeader(endpoint.signingSecret, body, timestamp),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(config.alerts.webhookTimeoutMs),
    });
    responseStatus = response.status;
    await response.arrayBuffer().catch(() => undefined);
  } catch (error) {
    problem = (error as Error).name === 'TimeoutError' ? 'timed out' : 'could not connect';
  }
  const attemptLog = {
    deliveryId: delivery.id,
    endpointId: endpoint.id,
    attempt: delivery.attempts,
    responseStatus,
  };
  if (responseStatus !== null && responseStatus >= 200 && responseStatus < 300) {
    await finish('SUCCEEDED', responseStatus);
    log.info(attemptLog, 'webhook delivered');
    return 'succeeded';
  }
  if (delivery.attempts >= config.alerts.maxAttempts) {
    await finish('FAILED', responseStatus);
    log.warn(attemptLog, 'webhook delivery failed: no attempts left');
    return 'failed';
  }
  await db
    .update(webhookDeliveries)
    .set({ responseStatus })
    .where(eq(webhookDeliveries.id, delivery.id));
  log.info({ ...attemptLog, problem: problem || undefined }, 'webhook attempt failed; will retry');
  throw new RetryLater(`webhook delivery ${delivery.id}: ${problem || `HTTP ${responseStatus}`}`);
}
