import { z } from 'zod';
import type { Config } from '../config.ts';
import { sweepUndelivered } from '../resolvers/alerts/alert-dispatch.ts';
import { attemptAlertEmail } from '../resolvers/alerts/email-delivery.ts';
import { attemptWebhookDelivery } from '../resolvers/alerts/webhook-delivery.ts';
import { defineJob } from './job.ts';

/** The jobs that deliver threshold alerts; retries follow DELIVERY_* settings. */
export function alertDeliveryJobs(config: Readonly<Config>) {
  const retry = {
    limit: config.alerts.maxAttempts - 1,
    delaySeconds: config.alerts.retryDelaySeconds,
  };
  return [
    defineJob({
      name: 'webhook-delivery',
      payload: z.object({ deliveryId: z.string().min(1) }),
      retry,
      handle: ({ deliveryId }, deps) => attemptWebhookDelivery(deps.services, deps.log, deliveryId),
    }),
    defineJob({
      name: 'alert-email',
      payload: z.object({ emailId: z.string().min(1) }),
      retry,
      handle: ({ emailId }, deps) => attemptAlertEmail(deps.services, deps.log, emailId),
    }),
    defineJob({
      name: 'alert-dispatch',
      // Every minute: what a crash left between an alert and its deliveries.
      cron: '* * * * *',
      payload: z.object({}),
      handle: (_payload, deps) => sweepUndelivered(deps.services, deps.log),
    }),
  ];
}
