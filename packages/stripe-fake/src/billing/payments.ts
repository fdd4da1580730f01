import { cardDeclined, invalidRequest } from '../errors.ts';
import { changedFields } from '../events.ts';
import type { State } from '../state.ts';
import type { Invoice, Subscription, SubscriptionStatus } from '../types.ts';
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

/** POST /v1/invoices/:id/pay: a draft is finalized first; a decline answers 402. */
export function payInvoice(state: State, invoice: Invoice): void {
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid');
  if (invoice.status === 'void') throw invalidRequest('You cannot pay a void invoice.');
  if (invoice.status === 'draft' && finalize(state, invoice)) return;
  if (!attemptPayment(state, invoice)) throw cardDeclined();
}

/**
 * One payment attempt on an open (or uncollectible) invoice. A customer marked declined fails
 * with `invoice.payment_failed`; otherwise the invoice is paid. Returns whether it was paid.
 */
export function attemptPayment(state: State, invoice: Invoice): boolean {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `Invoice ${invoice.id} is ${invoice.status}; only open invoices can be paid.`,
    );
  }
  if (invoice.amount_remaining > 0 && state.declinedCustomers.has(invoice.customer)) {
    invoice.attempt_count += 1;
    invoice.attempted = true;
    // Stripe's smart retries would try again later; tests drive that with retryInvoicePayment().
    invoice.next_payment_attempt = state.now() + 3 * 86_400;
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
  const subscription = billedSubscription(state, invoice);
  if (subscription && ['past_due', 'incomplete', 'unpaid'].includes(subscription.status)) {
    setStatus(state, subscription, 'active');
  }
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

function setStatus(state: State, subscription: Subscription, status: SubscriptionStatus): void {
  const before = structuredClone(subscription);
  subscription.status = status;
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
}
