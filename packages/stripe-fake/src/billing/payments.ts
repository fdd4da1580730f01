import { cardDeclined, FakeError, invalidRequest } from '../errors.ts';
import { changedFields } from '../events.ts';
import type { State } from '../state.ts';
import type { Invoice, Subscription, SubscriptionStatus } from '../types.ts';
import { paymentMethodOf } from './customers.ts';
import { finalizeDraft } from './invoices.ts';

/** Finalizes a draft; a $0 invoice is paid on the spot, as Stripe does (then returns true). */
export function finalize(state: State, invoice: Invoice, autoAdvance?: boolean): boolean {
  finalizeDraft(state, invoice, autoAdvance);
  if (invoice.amount_due !== 0) return false;
  markPaid(state, invoice);
  return true;
}

/** What Stripe does with a fresh subscription invoice: finalize, then charge the card. */
export function finalizeAndCharge(state: State, invoice: Invoice): void {
  finalize(state, invoice);
  if (invoice.status === 'open' && invoice.collection_method === 'charge_automatically') {
    attemptPayment(state, invoice);
  }
}

/**
 * POST /v1/invoices/:id/pay: a draft is finalized first; a decline answers 402 (after the
 * failed attempt); a customer with no payment method is refused (400) without an attempt.
 */
export function payInvoice(state: State, invoice: Invoice): void {
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid');
  if (invoice.status === 'void') throw invalidRequest('You cannot pay a void invoice.');
  if (invoice.status === 'draft' && finalize(state, invoice)) return;
  const refusal = invoice.amount_remaining > 0 ? paymentRefusal(state, invoice) : null;
  if (refusal && refusal.status !== 402) throw refusal;
  if (!attemptPayment(state, invoice)) throw cardDeclined();
}

/**
 * What Stripe answers when the customer has nothing to charge: no subscription
 * default_payment_method, no customer invoice_settings.default_payment_method.
 */
function noPaymentMethod(): FakeError {
  return new FakeError(400, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: 'default_payment_method',
    message:
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
  });
}

/**
 * Why charging this customer now would fail, or null if it would be paid: no payment method
 * (400, see noPaymentMethod), or a card that declines (402 card_declined). `subscription`
 * is the one billing (its default_payment_method comes first).
 */
export function chargeRefusal(
  state: State,
  customerId: string,
  subscription: Pick<Subscription, 'default_payment_method'> | null,
): FakeError | null {
  if (paymentMethodOf(state, customerId, subscription) === null) return noPaymentMethod();
  if (state.declinedCustomers.has(customerId)) return cardDeclined();
  return null;
}

/** The invoice's own card first, then its subscription's, then the customer's default. */
function paymentRefusal(state: State, invoice: Invoice): FakeError | null {
  const id = invoice.parent?.subscription_details.subscription;
  const subscription = (id && state.subscriptions.get(id)) || null;
  return chargeRefusal(state, invoice.customer, {
    default_payment_method:
      invoice.default_payment_method ?? subscription?.default_payment_method ?? null,
  });
}

/**
 * The customer pays an open invoice on its hosted page (`hosted_invoice_url`) with a card typed
 * in there: paid whatever the customer has saved. Emits `invoice.paid`.
 */
export function payOnHostedPage(state: State, invoice: Invoice): void {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `Invoice ${invoice.id} is ${invoice.status}; only open invoices can be paid.`,
    );
  }
  if (invoice.amount_remaining > 0) invoice.attempt_count += 1;
  markPaid(state, invoice);
}

/**
 * One payment attempt on an open (or uncollectible) invoice. It fails, with
 * `invoice.payment_failed`, when the customer has no payment method or is marked declined;
 * otherwise the invoice is paid. Returns whether it was paid.
 */
export function attemptPayment(state: State, invoice: Invoice): boolean {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `Invoice ${invoice.id} is ${invoice.status}; only open invoices can be paid.`,
    );
  }
  if (invoice.amount_remaining > 0 && paymentRefusal(state, invoice)) {
    invoice.attempt_count += 1;
    invoice.attempted = true;
    // Stripe's smart retries would try again later (tests drive that with retryInvoicePayment());
    // a first invoice is not retried: its incomplete subscription waits for the customer.
    invoice.next_payment_attempt =
      invoice.billing_reason === 'subscription_create' ? null : state.now() + 3 * 86_400;
    state.events.emit('invoice.payment_failed', invoice);
    afterPaymentFailed(state, invoice);
    return false;
  }
  if (invoice.amount_remaining > 0) invoice.attempt_count += 1;
  markPaid(state, invoice);
  return true;
}

function markPaid(state: State, invoice: Invoice): void {
  invoice.status = 'paid';
  // Stripe counts a $0 invoice paid on finalization as attempted (with attempt_count 0).
  invoice.attempted = true;
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = state.now();
  state.events.emit('invoice.paid', invoice);
  state.events.emit('invoice.payment_succeeded', invoice);
  // A sent invoice paid late settles its subscription's past_due, unless another is overdue.
  const subscription =
    billedSubscription(state, invoice) ?? sentInvoiceSubscription(state, invoice);
  const recovering =
    subscription &&
    ['past_due', 'incomplete', 'unpaid'].includes(subscription.status) &&
    (overdueSince(state, subscription) ?? Infinity) > state.now();
  if (subscription && recovering) setStatus(state, subscription, 'active');
}

function sentInvoiceSubscription(state: State, invoice: Invoice): Subscription | undefined {
  const id = invoice.parent?.subscription_details.subscription;
  return invoice.collection_method === 'send_invoice' && id
    ? state.subscriptions.get(id)
    : undefined;
}

/**
 * The earliest due_date of the subscription's open, unpaid send_invoice invoices (Stripe makes
 * an active subscription past_due once one is not paid by then); null when there is none.
 */
export function overdueSince(state: State, subscription: Subscription): number | null {
  if (subscription.collection_method !== 'send_invoice') return null;
  let earliest: number | null = null;
  for (const invoice of state.invoices.values()) {
    const unpaid =
      invoice.parent?.subscription_details.subscription === subscription.id &&
      invoice.status === 'open' &&
      invoice.collection_method === 'send_invoice' &&
      invoice.amount_remaining > 0;
    const due = invoice.due_date;
    if (unpaid && due !== null && (earliest === null || due < earliest)) earliest = due;
  }
  return earliest;
}

function afterPaymentFailed(state: State, invoice: Invoice): void {
  const subscription = billedSubscription(state, invoice);
  if (!subscription) return;
  if (invoice.billing_reason === 'subscription_create') {
    if (subscription.status === 'active') setStatus(state, subscription, 'incomplete');
  } else if (subscription.status === 'active' || subscription.status === 'trialing') {
    setStatus(state, subscription, 'past_due');
  }
}

/** The subscription whose latest invoice this is (older invoices no longer move its status). */
function billedSubscription(state: State, invoice: Invoice): Subscription | undefined {
  const id = invoice.parent?.subscription_details.subscription;
  const subscription = id ? state.subscriptions.get(id) : undefined;
  return subscription?.latest_invoice === invoice.id ? subscription : undefined;
}

export function setStatus(
  state: State,
  subscription: Subscription,
  status: SubscriptionStatus,
): void {
  const before = structuredClone(subscription);
  subscription.status = status;
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
}
