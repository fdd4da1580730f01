import { invalidRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type {
  BillingReason,
  CollectionMethod,
  Customer,
  Invoice,
  InvoiceItem,
  InvoiceLine,
  Metadata,
  Period,
  Subscription,
  SubscriptionItem,
} from '../types.ts';

/** A subscription item's charge for a period, as one invoice line. */
export interface SubscriptionCharge {
  item: SubscriptionItem;
  amount: number;
  period: Period;
  description: string;
}

export interface NewInvoice {
  /** Preset id, so a subscription can name its latest_invoice before the invoice exists. */
  id?: string;
  customer: Customer;
  /** Set by POST /v1/invoices; otherwise taken from the lines, then the customer. */
  currency?: string;
  subscription: Subscription | null;
  billingReason: BillingReason;
  collectionMethod: CollectionMethod;
  daysUntilDue: number | null;
  /** POST /v1/invoices' default_payment_method; none for a subscription's own invoices. */
  defaultPaymentMethod?: string | null;
  autoAdvance: boolean;
  description: string | null;
  metadata: Metadata;
  charges: SubscriptionCharge[];
  pendingItems: InvoiceItem[];
  /** Stripe's invoice period: the usage period before the invoice (lines carry service periods). */
  period: Period;
}

/** Creates a draft invoice with its lines and emits `invoice.created`. */
export function createInvoice(state: State, input: NewInvoice): Invoice {
  const now = state.now();
  const id = input.id ?? newId('in_');
  const subscription = input.subscription;
  const invoice: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stripe Fake',
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: false,
    auto_advance: input.autoAdvance,
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: input.collectionMethod,
    created: now,
    currency: invoiceCurrency(input),
    customer: input.customer.id,
    customer_email: input.customer.email,
    customer_name: input.customer.name,
    default_payment_method: input.defaultPaymentMethod ?? null,
    description: input.description,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    lines: {
      object: 'list',
      data: [],
      has_more: false,
      total_count: 0,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: input.metadata,
    next_payment_attempt: null,
    number: null,
    parent: subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: {
            metadata: { ...subscription.metadata },
            subscription: subscription.id,
          },
        }
      : null,
    period_end: input.period.end,
    period_start: input.period.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    starting_balance: 0,
    status: 'draft',
    status_transitions: {
      finalized_at: null,
      marked_uncollectible_at: null,
      paid_at: null,
      voided_at: null,
    },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_taxes: [],
    webhooks_delivered_at: null,
  };
  for (const charge of input.charges) invoice.lines.data.push(chargeLine(invoice, charge));
  for (const item of input.pendingItems) attachInvoiceItem(invoice, item);
  recomputeTotals(invoice);
  state.invoices.set(id, invoice);
  state.events.emit('invoice.created', invoice);
  return invoice;
}

function invoiceCurrency(input: NewInvoice): string {
  return (
    input.currency ??
    input.charges[0]?.item.price.currency ??
    input.pendingItems[0]?.currency ??
    input.customer.currency ??
    'usd'
  );
}

function chargeLine(invoice: Invoice, charge: SubscriptionCharge): InvoiceLine {
  const { item } = charge;
  return {
    id: newId('il_'),
    object: 'line_item',
    amount: charge.amount,
    currency: item.price.currency,
    description: charge.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoice.id,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: item.subscription,
        subscription_item: item.id,
      },
    },
    period: { ...charge.period },
    pricing: {
      type: 'price_details',
      price_details: { price: item.price.id, product: item.price.product },
      unit_amount_decimal: item.price.unit_amount_decimal,
    },
    quantity: item.quantity,
    subscription: item.subscription,
    subtotal: charge.amount,
    taxes: [],
  };
}

/** Moves a pending invoice item onto a draft invoice as a line. */
export function attachInvoiceItem(invoice: Invoice, item: InvoiceItem): void {
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      `Invoice ${invoice.id} is not a draft; items can only be added to drafts.`,
      {
        param: 'invoice',
      },
    );
  }
  const subscription = item.parent?.subscription_details.subscription ?? null;
  item.invoice = invoice.id;
  invoice.lines.data.push({
    id: newId('il_'),
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoice.id,
    livemode: false,
    metadata: { ...item.metadata },
    parent: {
      type: 'invoice_item_details',
      invoice_item_details: {
        invoice_item: item.id,
        proration: item.proration,
        proration_details: { credited_items: null },
        subscription,
      },
      subscription_item_details: null,
    },
    period: { ...item.period },
    pricing: item.pricing ? structuredClone(item.pricing) : null,
    quantity: item.quantity,
    subscription,
    subtotal: item.amount,
    taxes: [],
  });
  recomputeTotals(invoice);
}

/** Totals are plain sums of integer line amounts (no tax, no discounts). */
function recomputeTotals(invoice: Invoice): void {
  const total = invoice.lines.data.reduce((sum, line) => sum + line.amount, 0);
  invoice.lines.total_count = invoice.lines.data.length;
  invoice.subtotal = total;
  invoice.subtotal_excluding_tax = total;
  invoice.total = total;
  invoice.total_excluding_tax = total;
  // A negative total owes the customer nothing to pay; Stripe credits the balance instead.
  invoice.amount_due = Math.max(total, 0);
  invoice.amount_remaining = invoice.amount_due - invoice.amount_paid;
}

/** Pending (not yet invoiced) items of a customer, optionally only one subscription's. */
export function pendingItems(state: State, customer: string, subscription?: string): InvoiceItem[] {
  return [...state.invoiceItems.values()].filter(
    (item) =>
      item.invoice === null &&
      item.customer === customer &&
      (subscription === undefined ||
        item.parent?.subscription_details.subscription === subscription),
  );
}

/** draft → open: numbers the invoice and fixes the amount due. Emits `invoice.finalized`. */
export function finalizeDraft(state: State, invoice: Invoice, autoAdvance?: boolean): void {
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
    );
  }
  const now = state.now();
  recomputeTotals(invoice);
  invoice.status = 'open';
  invoice.number = state.nextInvoiceNumber();
  invoice.hosted_invoice_url = `${state.url}/invoices/${invoice.id}`;
  invoice.invoice_pdf = `${state.url}/invoices/${invoice.id}/pdf`;
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = now;
  invoice.ending_balance = 0;
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  if (invoice.collection_method === 'send_invoice') {
    invoice.due_date = now + (dueDays(state, invoice) ?? 30) * 86_400;
  }
  invoice.next_payment_attempt = collectsAutomatically(invoice) ? now + COLLECTION_DELAY : null;
  state.events.emit('invoice.finalized', invoice);
}

/** Seconds between finalizing an auto-advancing invoice and Stripe's automatic charge. */
const COLLECTION_DELAY = 3600;

/**
 * Whether Stripe charges this invoice by itself, COLLECTION_DELAY after finalization. A
 * subscription's first invoice is not: it is charged at once or waits for the customer.
 */
function collectsAutomatically(invoice: Invoice): boolean {
  return (
    invoice.auto_advance &&
    invoice.collection_method === 'charge_automatically' &&
    invoice.billing_reason !== 'subscription_create'
  );
}

function dueDays(state: State, invoice: Invoice): number | null {
  const subscriptionId = invoice.parent?.subscription_details.subscription;
  const subscription = subscriptionId ? state.subscriptions.get(subscriptionId) : undefined;
  return subscription?.days_until_due ?? state.invoiceDueDays.get(invoice.id) ?? null;
}

export function voidInvoice(state: State, invoice: Invoice): void {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `You can only void invoices that are open or uncollectible (this one is ${invoice.status}).`,
    );
  }
  invoice.status = 'void';
  invoice.status_transitions.voided_at = state.now();
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  state.events.emit('invoice.voided', invoice);
}

export function markUncollectible(state: State, invoice: Invoice): void {
  if (invoice.status !== 'open') {
    throw invalidRequest(
      `You can only mark open invoices uncollectible (this one is ${invoice.status}).`,
    );
  }
  invoice.status = 'uncollectible';
  invoice.status_transitions.marked_uncollectible_at = state.now();
  invoice.next_payment_attempt = null;
  state.events.emit('invoice.marked_uncollectible', invoice);
}
