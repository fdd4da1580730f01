import { and, asc, eq, ne } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import {
  billingSubscriptions,
  type InvoiceRow,
  invoiceLineItems,
  invoices,
  organizations,
} from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import {
  collectionOf,
  type InvoiceCollection,
  type StripeInvoicing,
} from '../../stripe/invoicing.ts';
import { applyStripeInvoice } from './stripe-invoice-sync.ts';

type PushServices = Pick<BackgroundServices, 'db' | 'now' | 'live' | 'stripe'>;

/**
 * Puts a DRAFT invoice into Stripe and finalizes it there: a draft Stripe invoice of our own,
 * one item per line Stripe's subscription has not billed already, then finalization (Stripe then
 * collects the payment). Safe to run again after any failure or crash: each step is recorded
 * here as it succeeds, every call has an idempotency key from our ids, and a push that was
 * interrupted first looks in Stripe for what it made before.
 */
export async function pushInvoice(
  services: PushServices,
  log: Logger,
  invoice: InvoiceRow,
): Promise<void> {
  const stripe = services.stripe?.invoicing;
  if (!stripe) throw new Error('Stripe is not configured');
  const [organization] = await services.db
    .select({ customerId: organizations.stripeCustomerId })
    .from(organizations)
    .where(eq(organizations.id, invoice.organizationId));
  const customerId = organization?.customerId;
  if (!customerId) {
    throw new Error(`organization ${invoice.organizationId} has no Stripe customer yet`);
  }
  const push: Push = {
    services,
    stripe,
    invoice,
    customerId,
    resumed: invoice.stripePushStartedAt !== null,
  };
  const stripeInvoiceId = await ensureDraft(push);
  await addMissingItems(push, stripeInvoiceId);
  const observedAt = services.now();
  const current = push.resumed ? await stripe.retrieve(stripeInvoiceId) : null;
  const finalized =
    current && current.status !== 'draft'
      ? current
      : await stripe.finalize(stripeInvoiceId, invoice.id);
  await applyStripeInvoice(services, log, finalized, observedAt);
}

/** One push in progress; `resumed` when an earlier attempt had begun it. */
interface Push {
  services: PushServices;
  stripe: StripeInvoicing;
  invoice: InvoiceRow;
  customerId: string;
  resumed: boolean;
}

/** The Stripe draft of the invoice: made (or, when resumed, found) and remembered. */
async function ensureDraft(push: Push): Promise<string> {
  const { services, stripe, invoice } = push;
  if (invoice.stripeInvoiceId) return invoice.stripeInvoiceId;
  if (!push.resumed) {
    await services.db
      .update(invoices)
      .set({ stripePushStartedAt: services.now() })
      .where(eq(invoices.id, invoice.id));
  }
  const draft =
    (push.resumed ? await stripe.findDraft(push.customerId, invoice.id) : null) ??
    (await stripe.createDraft({
      invoiceId: invoice.id,
      organizationId: invoice.organizationId,
      customerId: push.customerId,
      currency: invoice.currency,
      collection: await collectionFor(push),
      description: `Billing period ${invoice.periodStart.toISOString().slice(0, 10)} to ${invoice.periodEnd.toISOString().slice(0, 10)} (${invoice.id})`,
    }));
  await services.db
    .update(invoices)
    .set({ stripeInvoiceId: draft.id })
    .where(eq(invoices.id, invoice.id));
  return draft.id;
}

/** Collected as the organization's Stripe subscription is, or charged without one. */
async function collectionFor(push: Push): Promise<InvoiceCollection> {
  const { services, invoice } = push;
  const [row] = await services.db
    .select({ stripeSubscriptionId: billingSubscriptions.stripeSubscriptionId })
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, invoice.organizationId));
  const stripeSubscriptionId = row?.stripeSubscriptionId;
  const subscription =
    stripeSubscriptionId && services.stripe
      ? await services.stripe.retrieveSubscription(stripeSubscriptionId)
      : null;
  return collectionOf(subscription);
}

/** One Stripe item per line Stripe has not billed already, each remembered on its line. */
async function addMissingItems(push: Push, stripeInvoiceId: string): Promise<void> {
  const { services, stripe, invoice } = push;
  const lines = await services.db
    .select()
    .from(invoiceLineItems)
    .where(
      and(
        eq(invoiceLineItems.invoiceId, invoice.id),
        eq(invoiceLineItems.prepaid, false),
        ne(invoiceLineItems.amount, 0n),
      ),
    )
    .orderBy(asc(invoiceLineItems.position));
  const missing = lines.filter((line) => line.stripeInvoiceItemId === null);
  const made =
    missing.length && push.resumed ? await stripe.itemsByLine(stripeInvoiceId) : new Map();
  for (const line of missing) {
    const item =
      made.get(line.id) ??
      (await stripe.addItem({
        lineId: line.id,
        invoiceId: invoice.id,
        customerId: push.customerId,
        stripeInvoiceId,
        amount: line.amount,
        currency: invoice.currency,
        description: line.rateDescription
          ? `${line.description} (${line.rateDescription})`
          : line.description,
      }));
    await services.db
      .update(invoiceLineItems)
      .set({ stripeInvoiceItemId: item.id })
      .where(eq(invoiceLineItems.id, line.id));
  }
}
