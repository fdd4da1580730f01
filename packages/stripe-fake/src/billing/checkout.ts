import { invalidRequest } from '../errors.ts';
import { customerById, priceById } from '../lookup.ts';
import type { State } from '../state.ts';
import type { CheckoutSession, Subscription } from '../types.ts';
import { createCustomer } from './customers.ts';
import { createSubscription } from './subscriptions.ts';

/**
 * What happens when the customer pays on the hosted checkout page: the customer is created (or
 * reused), the subscription is created from the session's line items and subscription_data,
 * and `checkout.session.completed` follows the subscription's own events.
 */
export function completeCheckout(state: State, session: CheckoutSession): Subscription {
  if (session.status !== 'open') {
    throw invalidRequest(`Checkout session ${session.id} is ${session.status}, not open.`);
  }
  if (state.now() >= session.expires_at) {
    session.status = 'expired';
    session.url = null;
    throw invalidRequest(`Checkout session ${session.id} has expired.`);
  }
  if (session.mode !== 'subscription') {
    throw invalidRequest('The fake only completes checkout sessions in subscription mode.');
  }
  const intent = state.checkoutIntents.get(session.id);
  if (!intent) throw new Error(`checkout session ${session.id} lost its line items`);
  const customer = session.customer
    ? customerById(state, session.customer)
    : createCustomer(state, { name: null, email: session.customer_email, metadata: {} });
  const now = state.now();
  const subscription = createSubscription(state, {
    customer,
    items: intent.lineItems.map((line) => ({
      price: priceById(state, line.price),
      quantity: line.quantity,
    })),
    ...(intent.billingCycleAnchor !== undefined
      ? { billingCycleAnchor: intent.billingCycleAnchor }
      : {}),
    ...(intent.trialPeriodDays ? { trialEnd: now + intent.trialPeriodDays * 86_400 } : {}),
    metadata: { ...intent.subscriptionMetadata },
    collectionMethod: 'charge_automatically',
    daysUntilDue: null,
    paymentBehavior: 'allow_incomplete',
    prorateFirstPeriod: true,
    ...(intent.billingMode ? { billingMode: intent.billingMode } : {}),
  });
  const invoice = subscription.latest_invoice
    ? state.invoices.get(subscription.latest_invoice)
    : undefined;
  session.status = 'complete';
  session.customer = customer.id;
  session.customer_details = { email: customer.email, name: customer.name };
  session.subscription = subscription.id;
  session.payment_status =
    invoice?.status !== 'paid'
      ? 'unpaid'
      : invoice.amount_paid > 0
        ? 'paid'
        : 'no_payment_required';
  session.url = null;
  state.events.emit('checkout.session.completed', session);
  return subscription;
}
