import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions, invoices, organizations, stripeEvents } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { syncInvoice } from '../invoicing/stripe-invoice-sync.ts';
import { applyStripeSubscription } from '../subscriptions/stripe-subscription-sync.ts';

/** Stored Stripe events are processed by a job, from the store (never from the request). */
export async function processStripeEvent(
  services: BackgroundServices,
  log: Logger,
  eventId: string,
): Promise<'processed' | 'skipped'> {
  const [row] = await services.db
    .update(stripeEvents)
    .set({ attempts: sql`${stripeEvents.attempts} + 1` })
    .where(and(eq(stripeEvents.id, eventId), isNull(stripeEvents.processedAt)))
    .returning();
  if (!row) return 'skipped';
  const event = row.payload as Stripe.Event;
  const eventLog = log.child({ stripeEventId: event.id, type: event.type });
  try {
    await handle(services, eventLog, event);
  } catch (error) {
    await services.db
      .update(stripeEvents)
      .set({ lastError: (error as Error).message.slice(0, 500) })
      .where(eq(stripeEvents.id, eventId));
    throw error;
  }
  await services.db
    .update(stripeEvents)
    .set({ processedAt: services.now(), lastError: null })
    .where(eq(stripeEvents.id, eventId));
  return 'processed';
}

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

/** Always read the subscription afresh: whatever order events come in, Stripe's now is newest. */
export async function syncSubscription(
  services: BackgroundServices,
  log: Logger,
  stripeSubscriptionId: string,
) {
  if (!services.stripe) return null;
  const observedAt = services.now();
  const subscription = await services.stripe.retrieveSubscription(stripeSubscriptionId);
  return applyStripeSubscription(services, log, subscription, observedAt);
}

async function checkoutCompleted(
  services: BackgroundServices,
  log: Logger,
  session: Stripe.Checkout.Session,
) {
  const organizationId = session.client_reference_id ?? session.metadata?.organization_id;
  const customerId = typeof session.customer === 'string' ? session.customer : session.customer?.id;
  if (organizationId && customerId) {
    await services.db
      .update(organizations)
      .set({ stripeCustomerId: customerId })
      .where(and(eq(organizations.id, organizationId), isNull(organizations.stripeCustomerId)));
  }
  const subscriptionId =
    typeof session.subscription === 'string' ? session.subscription : session.subscription?.id;
  if (subscriptionId) await syncSubscription(services, log, subscriptionId);
}

/** One of our invoices (the invoice run's) is read again from Stripe and applied. */
async function syncOurInvoice(
  services: BackgroundServices,
  log: Logger,
  invoice: Stripe.Invoice,
): Promise<string | null> {
  const invoiceId = invoice.metadata?.invoice_id;
  if (!invoiceId || !invoice.id) return null;
  await syncInvoice(services, log, invoice.id);
  const [row] = await services.db
    .select({ organizationId: invoices.organizationId })
    .from(invoices)
    .where(eq(invoices.id, invoiceId));
  return row?.organizationId ?? null;
}

/**
 * The Stripe subscription an invoice's payment concerns: the subscription's own invoice names it;
 * for one of ours, it is the subscription of the invoice's organization.
 */
async function subscriptionOf(
  services: BackgroundServices,
  invoice: Stripe.Invoice,
  organizationId: string | null,
): Promise<string | null> {
  const subscription = invoice.parent?.subscription_details?.subscription;
  if (subscription) return typeof subscription === 'string' ? subscription : subscription.id;
  if (!organizationId) return null;
  const [row] = await services.db
    .select({ id: billingSubscriptions.stripeSubscriptionId })
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  return row?.id ?? null;
}

async function invoicePaid(services: BackgroundServices, log: Logger, invoice: Stripe.Invoice) {
  const organizationId = await syncOurInvoice(services, log, invoice);
  const subscriptionId = await subscriptionOf(services, invoice, organizationId);
  if (!subscriptionId) return;
  await services.db
    .update(billingSubscriptions)
    .set({ failedPaymentAttempts: 0 })
    .where(eq(billingSubscriptions.stripeSubscriptionId, subscriptionId));
  await syncSubscription(services, log, subscriptionId);
}

/**
 * Dunning: a failed payment makes the subscription PAST_DUE (for one of our invoices too); the
 * attempt count of the unpaid invoice is kept, and at DUNNING_MAX_FAILED_PAYMENTS the Stripe
 * subscription is canceled and the organization falls back to the free plan.
 */
async function paymentFailed(services: BackgroundServices, log: Logger, invoice: Stripe.Invoice) {
  const organizationId = await syncOurInvoice(services, log, invoice);
  const subscriptionId = await subscriptionOf(services, invoice, organizationId);
  if (!subscriptionId || !services.stripe) return;
  const attempts = invoice.attempt_count;
  await services.db
    .update(billingSubscriptions)
    .set({ failedPaymentAttempts: attempts })
    .where(eq(billingSubscriptions.stripeSubscriptionId, subscriptionId));
  if (attempts >= services.config.dunning.maxFailedPayments) {
    log.warn(
      { stripeSubscriptionId: subscriptionId, attempts },
      'payment failed too often: canceling, falling back to the free plan',
    );
    const observedAt = services.now();
    const canceled = await services.stripe.cancelNow(subscriptionId, `dunning:${subscriptionId}`);
    await applyStripeSubscription(services, log, canceled, observedAt);
    return;
  }
  await syncSubscription(services, log, subscriptionId);
}

/** Events stored but not processed a minute later (their job was lost): queued again. */
export async function sweepStripeEvents(
  services: BackgroundServices,
  log: Logger,
): Promise<number> {
  const stale = await services.db
    .select({ id: stripeEvents.id })
    .from(stripeEvents)
    .where(
      and(
        isNull(stripeEvents.processedAt),
        // The database's clock stamped received_at, so it is the one to compare with.
        lt(stripeEvents.receivedAt, sql`now() - interval '1 minute'`),
      ),
    )
    .orderBy(stripeEvents.stripeCreatedAt)
    .limit(500);
  for (const { id } of stale) await services.jobs.send('stripe-event', { eventId: id });
  if (stale.length) log.warn({ events: stale.length }, 'requeued unprocessed Stripe events');
  return stale.length;
}
