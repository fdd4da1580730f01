import { changedFields } from '../events.ts';
import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type { Customer, Metadata, Subscription } from '../types.ts';

export interface NewCustomer {
  name: string | null;
  email: string | null;
  metadata: Metadata;
}

/** A card: one that pays, or one that declines every charge (`card_declined`). */
export interface CardBehavior {
  declines?: boolean;
}

/**
 * Payment settings of one fake (kept beside its State): what customers created from now on pay
 * with (null: nothing, as on Stripe), and whether a Checkout page is collecting a card now.
 */
interface PaymentSettings {
  newCustomers: CardBehavior | null;
  checkoutCollectsCard: boolean;
}

const settings = new WeakMap<State, PaymentSettings>();

function settingsOf(state: State): PaymentSettings {
  let found = settings.get(state);
  if (!found) {
    found = { newCustomers: {}, checkoutCollectsCard: false };
    settings.set(state, found);
  }
  return found;
}

/** What customers created from now on pay with: a card (declining or not), or null for none. */
export function setNewCustomerPaymentMethod(state: State, card: CardBehavior | null): void {
  settingsOf(state).newCustomers = card;
}

/** Creates a customer and emits `customer.created`. */
export function createCustomer(state: State, input: NewCustomer): Customer {
  const id = newId('cus_', 14);
  const card = settingsOf(state).newCustomers;
  const customer: Customer = {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created: state.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: input.email,
    invoice_prefix: 'FAKE',
    invoice_settings: {
      custom_fields: null,
      default_payment_method: card ? newCard(state, id, card) : null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: input.metadata,
    name: input.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
  state.customers.set(customer.id, customer);
  state.events.emit('customer.created', customer);
  return customer;
}

/**
 * A new card for the customer. The fake keeps one card behaviour per customer: a declining card
 * marks the customer declined (`setCardDeclined`), a working one clears that.
 */
function newCard(state: State, customerId: string, card: CardBehavior): string {
  if (card.declines) state.declinedCustomers.add(customerId);
  else state.declinedCustomers.delete(customerId);
  return newId('pm_', 24);
}

/**
 * Attaches a card and makes it the customer's `invoice_settings.default_payment_method` (as
 * `customers.update` would); emits `customer.updated`. Returns the payment method's id.
 */
export function attachPaymentMethod(state: State, customer: Customer, card: CardBehavior): string {
  const before = structuredClone(customer);
  const id = newCard(state, customer.id, card);
  customer.invoice_settings.default_payment_method = id;
  state.events.emit('customer.updated', customer, changedFields(before, customer));
  return id;
}

/** Removes the customer's default payment method (the card is detached); `customer.updated`. */
export function detachPaymentMethod(state: State, customer: Customer): void {
  if (customer.invoice_settings.default_payment_method === null) return;
  const before = structuredClone(customer);
  customer.invoice_settings.default_payment_method = null;
  state.events.emit('customer.updated', customer, changedFields(before, customer));
}

/**
 * The payment method a charge uses, in Stripe's order: the subscription's
 * `default_payment_method`, then the customer's `invoice_settings.default_payment_method`
 * (the fake has no sources). Null: there is nothing to charge.
 */
export function paymentMethodOf(
  state: State,
  customerId: string,
  subscription: Pick<Subscription, 'default_payment_method'> | null,
): string | null {
  return (
    subscription?.default_payment_method ??
    state.customers.get(customerId)?.invoice_settings.default_payment_method ??
    null
  );
}

/**
 * Runs `fn` (completing a Checkout session) as the hosted page does it: the customer typed in a
 * card, which the subscription made meanwhile takes as its `default_payment_method`.
 */
export function withCheckoutCard<T>(state: State, fn: () => T): T {
  const current = settingsOf(state);
  current.checkoutCollectsCard = true;
  try {
    return fn();
  } finally {
    current.checkoutCollectsCard = false;
  }
}

/**
 * The card Checkout collected for a subscription being made now, if a Checkout page is being
 * completed: attached to the customer, not made its default (Stripe Checkout sets only the
 * subscription's default_payment_method). It behaves like the customer's card (declines if
 * the customer is marked declined).
 */
export function checkoutCard(state: State): string | null {
  return settingsOf(state).checkoutCollectsCard ? newId('pm_', 24) : null;
}
