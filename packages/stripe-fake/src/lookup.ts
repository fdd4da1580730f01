import { noSuch } from './errors.ts';
import type { State } from './state.ts';
import type { CheckoutSession, Customer, Invoice, Price, Product, Subscription } from './types.ts';

/**
 * Finders that fail like Stripe: 404 for an id in the path, 400 naming the parameter when the
 * unknown id came in as one (pass `param`).
 */
function find<T>(map: Map<string, T>, thing: string, id: string, param?: string): T {
  const found = map.get(id);
  if (!found) throw noSuch(thing, id, param);
  return found;
}

export const customerById = (s: State, id: string, param?: string): Customer =>
  find(s.customers, 'customer', id, param);
export const productById = (s: State, id: string, param?: string): Product =>
  find(s.products, 'product', id, param);
export const priceById = (s: State, id: string, param?: string): Price =>
  find(s.prices, 'price', id, param);
export const subscriptionById = (s: State, id: string, param?: string): Subscription =>
  find(s.subscriptions, 'subscription', id, param);
export const invoiceById = (s: State, id: string, param?: string): Invoice =>
  find(s.invoices, 'invoice', id, param);
export const checkoutSessionById = (s: State, id: string): CheckoutSession =>
  find(s.checkoutSessions, 'checkout.session', id);
