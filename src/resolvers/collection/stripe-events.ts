import type Stripe from 'stripe';
import type { BackgroundServices } from '../../context.ts';
import type { Logger } from '../../logger.ts';
import { checkoutCompleted } from '../subscriptions/checkout.ts';
import { syncSubscription } from '../subscriptions/stripe-subscription-sync.ts';
import { invoicePaid, paymentFailed, syncOurInvoice } from './payments.ts';
import {
  claimStripeEvent,
  markStripeEventFailed,
  markStripeEventProcessed,
  unprocessedStripeEvents,
} from './stripe-event-store.ts';

/** Stored Stripe events are processed by a job, from the store (never from the request). */
export async function processStripeEvent(
  services: BackgroundServices,
  log: Logger,
  eventId: string,
): Promise<'processed' | 'skipped'> {
  const event = await claimStripeEvent(services.db, eventId);
  if (!event) return 'skipped';
  const eventLog = log.child({ stripeEventId: event.id, type: event.type });
  try {
    await handle(services, eventLog, event);
  } catch (error) {
    await markStripeEventFailed(services.db, eventId, error as Error);
    throw error;
  }
  await markStripeEventProcessed(services.db, eventId, services.now());
  return 'processed';
}

/** Each event type to the domain it concerns. */
async function handle(
  services: BackgroundServices,
  log: Logger,
  event: Stripe.Event,
): Promise<void> {
  switch (event.type) {
    case 'checkout.session.completed':
      return checkoutCompleted(services, log, event.data.object);
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.trial_will_end':
      await syncSubscription(services, log, event.data.object.id);
      return;
    case 'invoice.paid':
      return invoicePaid(services, log, event.data.object);
    case 'invoice.payment_failed':
      return paymentFailed(services, log, event.data.object);
    case 'invoice.created':
    case 'invoice.finalized':
    case 'invoice.voided':
    case 'invoice.marked_uncollectible':
      // Our own invoices follow Stripe's; the subscription's invoices need nothing here.
      await syncOurInvoice(services, log, event.data.object);
      return;
    default:
      log.debug('Stripe event acknowledged and ignored');
  }
}

/** Events stored but not processed a minute later (their job was lost): queued again. */
export async function sweepStripeEvents(
  services: BackgroundServices,
  log: Logger,
): Promise<number> {
  const stale = await unprocessedStripeEvents(services.db, 500);
  for (const eventId of stale) await services.jobs.send('stripe-event', { eventId });
  if (stale.length) log.warn({ events: stale.length }, 'requeued unprocessed Stripe events');
  return stale.length;
}
