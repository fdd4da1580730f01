import { noSuch } from '../errors.ts';
import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type { Subscription } from '../types.ts';
import { createInvoice, pendingItems } from './invoices.ts';
import { finalizeAndCharge } from './payments.ts';
import { prorateChange } from './proration.ts';

/**
 * DELETE /v1/subscriptions/:id: cancels now. prorate=true credits the unused rest of the
 * period as pending items; invoice_now=true bills this subscription's pending items at once.
 */
export function cancelNow(
  state: State,
  subscription: Subscription,
  options: { prorate: boolean; invoiceNow: boolean },
): void {
  // Stripe answers a canceled subscription as if it did not exist (404 resource_missing), though
  // GET still returns it (https://github.com/stripe/stripe-go/issues/1887, Stripe's reply).
  if (subscription.status === 'canceled') throw noSuch('subscription', subscription.id);
  const now = state.now();
  if (options.prorate && subscription.status !== 'trialing') {
    for (const item of subscription.items.data)
      prorateChange(state, subscription, item, { from: item, at: now });
  }
  const pending = options.invoiceNow
    ? pendingItems(state, subscription.customer, subscription.id)
    : [];
  const invoiceId = newId('in_');
  if (pending.length > 0) subscription.latest_invoice = invoiceId;
  subscription.canceled_at = now;
  endSubscription(state, subscription, now);
  const customer = state.customers.get(subscription.customer);
  if (pending.length === 0 || !customer) return;
  const invoice = createInvoice(state, {
    id: invoiceId,
    customer,
    subscription,
    billingReason: 'subscription_update',
    collectionMethod: subscription.collection_method,
    daysUntilDue: subscription.days_until_due,
    autoAdvance: true,
    description: null,
    metadata: {},
    charges: [],
    pendingItems: pending,
    period: { start: now, end: now },
  });
  finalizeAndCharge(state, invoice);
}

/** Marks the subscription canceled at `at` and emits `customer.subscription.deleted`. */
export function endSubscription(state: State, subscription: Subscription, at: number): void {
  subscription.status = 'canceled';
  subscription.ended_at = at;
  subscription.canceled_at ??= at;
  subscription.cancellation_details = {
    comment: null,
    feedback: null,
    reason: subscription.cancellation_details?.reason ?? 'cancellation_requested',
  };
  state.events.emit('customer.subscription.deleted', subscription);
}
