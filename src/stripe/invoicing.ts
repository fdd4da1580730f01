import type Stripe from 'stripe';
import { call, stripeAmount } from './call.ts';

/**
 * How an invoice of ours is collected: as the customer's Stripe subscription is (charged to its
 * card, or e-mailed with net terms when provisioning found no card), so that a customer billed
 * by e-mail is not charged, failed and dunned for the month's usage.
 */
export type InvoiceCollection =
  | { method: 'charge_automatically'; defaultPaymentMethod: string | null }
  | { method: 'send_invoice'; daysUntilDue: number };

/** The collection of the subscription's own invoices, for ours. */
export function collectionOf(subscription: Stripe.Subscription | null): InvoiceCollection {
  if (subscription?.collection_method === 'send_invoice') {
    return { method: 'send_invoice', daysUntilDue: subscription.days_until_due ?? 30 };
  }
  const card = subscription?.default_payment_method;
  // A card collected by Checkout is the subscription's, not the customer's default.
  return {
    method: 'charge_automatically',
    defaultPaymentMethod: typeof card === 'string' ? card : (card?.id ?? null),
  };
}

function collectionParams(collection: InvoiceCollection): Stripe.InvoiceCreateParams {
  return collection.method === 'send_invoice'
    ? { collection_method: 'send_invoice', days_until_due: collection.daysUntilDue }
    : {
        collection_method: 'charge_automatically',
        ...(collection.defaultPaymentMethod
          ? { default_payment_method: collection.defaultPaymentMethod }
          : {}),
      };
}

/**
 * Stripe calls of the invoice run: a draft invoice of our own (our lines only: pending items of
 * the customer are left out), its items, finalization with automatic collection. Every write
 * carries an idempotency key from our invoice and line ids; lookups by metadata find what a
 * crash left behind after Stripe's idempotency keys have expired (24 hours).
 */
export class StripeInvoicing {
  readonly #stripe: Stripe;

  constructor(stripe: Stripe) {
    this.#stripe = stripe;
  }

  createDraft(input: {
    invoiceId: string;
    organizationId: string;
    customerId: string;
    currency: string;
    description: string;
    collection: InvoiceCollection;
  }): Promise<Stripe.Invoice> {
    return call(() =>
      this.#stripe.invoices.create(
        {
          customer: input.customerId,
          currency: input.currency,
          description: input.description,
          ...collectionParams(input.collection),
          // Not before we finalize it: Stripe would finalize (and charge) a draft left half-made
          // by a crash on its own an hour later. Finalization turns automatic collection on.
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          metadata: { invoice_id: input.invoiceId, organization_id: input.organizationId },
        },
        { idempotencyKey: `invoice:${input.invoiceId}` },
      ),
    );
  }

  /** The customer's Stripe invoice made for our invoice, if a crash left one. */
  findDraft(customerId: string, invoiceId: string): Promise<Stripe.Invoice | null> {
    return call(async () => {
      for await (const invoice of this.#stripe.invoices.list({
        customer: customerId,
        limit: 100,
      })) {
        if (invoice.metadata?.invoice_id === invoiceId) return invoice;
      }
      return null;
    });
  }

  addItem(input: {
    lineId: string;
    invoiceId: string;
    customerId: string;
    stripeInvoiceId: string;
    amount: bigint;
    currency: string;
    description: string;
  }): Promise<Stripe.InvoiceItem> {
    const amount = stripeAmount(input.amount, `the invoice line "${input.description}"`);
    return call(() =>
      this.#stripe.invoiceItems.create(
        {
          customer: input.customerId,
          invoice: input.stripeInvoiceId,
          amount,
          currency: input.currency,
          description: input.description,
          metadata: { line_id: input.lineId, invoice_id: input.invoiceId },
        },
        { idempotencyKey: `invoice-line:${input.lineId}` },
      ),
    );
  }

  /** The items on a Stripe invoice, by our line id. */
  itemsByLine(stripeInvoiceId: string): Promise<Map<string, Stripe.InvoiceItem>> {
    return call(async () => {
      const byLine = new Map<string, Stripe.InvoiceItem>();
      for await (const item of this.#stripe.invoiceItems.list({
        invoice: stripeInvoiceId,
        limit: 100,
      })) {
        const lineId = item.metadata?.line_id;
        if (lineId) byLine.set(lineId, item);
      }
      return byLine;
    });
  }

  finalize(stripeInvoiceId: string, invoiceId: string): Promise<Stripe.Invoice> {
    return call(() =>
      this.#stripe.invoices.finalizeInvoice(
        stripeInvoiceId,
        { auto_advance: true },
        { idempotencyKey: `invoice-finalize:${invoiceId}` },
      ),
    );
  }

  retrieve(stripeInvoiceId: string): Promise<Stripe.Invoice> {
    return call(() => this.#stripe.invoices.retrieve(stripeInvoiceId));
  }
}
