import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions, invoices } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { syncInvoice } from '../invoicing/stripe-invoice-sync.ts';
import {
  applyStripeSubscription,
  syncSubscription,
} from '../subscriptions/stripe-subscription-sync.ts';

/*
 * Payments and dunning: what Stripe's invoice events do to our invoices and subscriptions.
 */

/** One of our invoices (the invoice run's) is read again from Stripe and applied. */
export async function syncOurInvoice(
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

export async function invoicePaid(
  services: BackgroundServices,
  log: Logger,
  invoice: Stripe.Invoice,
) {
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
 * subscription is canceled and the organization falls back to the free plan. Events arrive late
 * and out of order, so the decision reads the invoice as Stripe has it now, never the event's
 * copy: an invoice paid since (or voided) is no failed payment at all.
 */
export async function paymentFailed(
  services: BackgroundServices,
  log: Logger,
  event: Stripe.Invoice,
) {
  const stripe = services.stripe;
  if (!stripe || !event.id) return;
  const invoice = await stripe.invoicing.retrieve(event.id);
  const organizationId = await syncOurInvoice(services, log, invoice);
  const subscriptionId = await subscriptionOf(services, invoice, organizationId);
  if (!subscriptionId) return;
  if (invoice.status !== 'open') {
    log.info(
      { stripeInvoiceId: invoice.id, status: invoice.status },
      'payment failure heard after the invoice was settled: not counted',
    );
    await syncSubscription(services, log, subscriptionId);
    return;
  }
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
    const canceled = await stripe.cancelNow(subscriptionId);
    await applyStripeSubscription(services, log, canceled, observedAt);
    return;
  }
  await syncSubscription(services, log, subscriptionId);
}
