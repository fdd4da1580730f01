import { shift } from '../calendar.ts';
import { invalidParameter } from '../errors.ts';
import { newId } from '../ids.ts';
import { prorate } from '../money.ts';
import type { BillingModeInput, State } from '../state.ts';
import type {
  BillingMode,
  CollectionMethod,
  Customer,
  Metadata,
  Period,
  Price,
  Subscription,
  SubscriptionItem,
} from '../types.ts';
import { checkoutCard } from './customers.ts';
import { createInvoice, pendingItems, type SubscriptionCharge } from './invoices.ts';
import { chargeRefusal, finalize, finalizeAndCharge } from './payments.ts';
import { chargeFor, currentPeriod, productName } from './periods.ts';
import type { ItemChange } from './update.ts';

type PaymentBehavior =
  | 'allow_incomplete'
  | 'error_if_incomplete'
  | 'default_incomplete'
  | 'pending_if_incomplete';

export interface NewSubscription {
  customer: Customer;
  items: { price: Price; quantity: number }[];
  billingCycleAnchor?: number;
  /** Absolute end of a trial; none means no trial. */
  trialEnd?: number;
  metadata: Metadata;
  collectionMethod: CollectionMethod;
  daysUntilDue: number | null;
  paymentBehavior: PaymentBehavior;
  /** 'none' leaves the stub period before a billing_cycle_anchor uncharged. */
  prorateFirstPeriod: boolean;
  /** billing_mode[type] (and flexible options); flexible when not given. */
  billingMode?: BillingModeInput;
}

/**
 * The billing_mode of a new subscription: `flexible` unless asked otherwise, the default since
 * API version 2025-09-30.clover (https://docs.stripe.com/billing/subscriptions/billing-mode).
 */
function newBillingMode(input: BillingModeInput | undefined, now: number): BillingMode {
  const type = input?.type ?? 'flexible';
  const flexible = { proration_discounts: input?.prorationDiscounts ?? 'included' } as const;
  return { flexible: type === 'flexible' ? flexible : null, type, updated_at: now };
}

/** Seconds an `incomplete` subscription waits for its first payment before it expires. */
export const INCOMPLETE_WINDOW = 23 * 3600;

/**
 * Creates a subscription the way Stripe does: first period (trial, stub up to the anchor, or a
 * whole interval), then its first invoice, finalized and charged. With charge_automatically, a
 * first invoice that cannot be paid (no payment method, declined card) makes it `incomplete`
 * (allow_incomplete, the default; default_incomplete does not even try) for
 * INCOMPLETE_WINDOW, or refuses it with payment_behavior=error_if_incomplete (402
 * card_declined, 400 for no payment method). send_invoice subscriptions are active at once.
 */
export function createSubscription(state: State, input: NewSubscription): Subscription {
  const now = state.now();
  const id = newId('sub_');
  const first = input.items[0];
  if (!first?.price.recurring) throw new Error('subscription items need recurring prices');
  const interval = first.price.recurring;
  const trial = input.trialEnd !== undefined;
  let anchor: number;
  let periodEnd: number;
  if (input.trialEnd !== undefined) {
    if (input.trialEnd <= now) {
      throw invalidParameter(
        'trial_end',
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
      );
    }
    periodEnd = input.trialEnd;
    anchor = input.billingCycleAnchor ?? input.trialEnd;
  } else if (input.billingCycleAnchor !== undefined) {
    anchor = input.billingCycleAnchor;
    checkAnchor(anchor, now, shift(now, interval, 1));
    periodEnd = anchor;
  } else {
    anchor = now;
    periodEnd = shift(now, interval, 1);
  }
  const period: Period = { start: now, end: periodEnd };
  const items = input.items.map(
    ({ price, quantity }): SubscriptionItem => ({
      id: newId('si_', 14),
      object: 'subscription_item',
      created: now,
      current_period_end: period.end,
      current_period_start: period.start,
      discounts: [],
      metadata: {},
      price: structuredClone(price),
      quantity,
      subscription: id,
      tax_rates: [],
    }),
  );
  const charges: SubscriptionCharge[] = items.map((item) =>
    trial
      ? {
          item,
          period,
          amount: 0,
          description: `Trial period for ${productName(state, item.price)}`,
        }
      : chargeFor(state, item, period, anchor, input.prorateFirstPeriod),
  );
  const total = charges.reduce((sum, charge) => sum + charge.amount, 0);
  const charged = input.collectionMethod === 'charge_automatically' && total > 0;
  const card = checkoutCard(state);
  const refusal = charged
    ? chargeRefusal(state, input.customer.id, card ? { default_payment_method: card } : null)
    : null;
  if (refusal && input.paymentBehavior === 'error_if_incomplete') throw refusal;
  const waitsForPayment = charged && input.paymentBehavior === 'default_incomplete';

  const invoiceId = newId('in_');
  const subscription: Subscription = {
    id,
    object: 'subscription',
    billing_cycle_anchor: anchor,
    billing_mode: newBillingMode(input.billingMode, now),
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: input.collectionMethod,
    created: now,
    currency: first.price.currency,
    customer: input.customer.id,
    days_until_due: input.daysUntilDue,
    default_payment_method: card,
    description: null,
    discounts: [],
    ended_at: null,
    items: {
      object: 'list',
      data: items,
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: invoiceId,
    livemode: false,
    metadata: input.metadata,
    pause_collection: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trial ? 'trialing' : refusal || waitsForPayment ? 'incomplete' : 'active',
    test_clock: null,
    trial_end: trial ? periodEnd : null,
    trial_start: trial ? now : null,
  };
  state.subscriptions.set(id, subscription);
  state.events.emit('customer.subscription.created', subscription);

  const invoice = createInvoice(state, {
    id: invoiceId,
    customer: input.customer,
    subscription,
    billingReason: 'subscription_create',
    collectionMethod: input.collectionMethod,
    daysUntilDue: input.daysUntilDue,
    autoAdvance: true,
    description: null,
    metadata: {},
    charges,
    pendingItems: pendingItems(state, input.customer.id, id),
    period: { start: now, end: now },
  });
  if (waitsForPayment) finalize(state, invoice);
  else finalizeAndCharge(state, invoice);
  return subscription;
}

/**
 * payment_behavior=error_if_incomplete on an update billed at once (always_invoice): when the
 * change leaves something to pay and the customer cannot pay it (no payment method: 400;
 * declined card: 402), Stripe refuses the whole update and changes nothing. Applies only to
 * charge_automatically subscriptions out of trial; call it before anything is changed.
 */
export function refuseUnpayableChange(
  state: State,
  subscription: Subscription,
  changes: ItemChange[],
  prorationDate: number | undefined,
): void {
  // Trials bill nothing now; an ended subscription is refused by the update itself.
  const unbilled = ['trialing', 'canceled', 'incomplete_expired'].includes(subscription.status);
  if (changes.length === 0 || unbilled) return;
  if (subscription.collection_method !== 'charge_automatically') return;
  const period = currentPeriod(subscription);
  const at = prorationDate ?? state.now();
  // A proration_date out of the period is refused by the update itself (400, its own message).
  if (at < period.start || at > period.end) return;
  if (immediateCharge(state, subscription, changes, { at, ...period }) <= 0) return;
  const refusal = chargeRefusal(state, subscription.customer, subscription);
  if (refusal) throw refusal;
}

/**
 * What an always_invoice change would bill now: its prorations (as prorateChange computes
 * them) plus the subscription's pending invoice items.
 */
function immediateCharge(
  state: State,
  subscription: Subscription,
  changes: ItemChange[],
  window: { at: number; start: number; end: number },
): number {
  const remaining = window.end - window.at;
  const length = window.end - window.start;
  const rest = (price: Price, quantity: number) =>
    remaining > 0 && length > 0 ? prorate(price.unit_amount * quantity, remaining, length) : 0;
  let total = pendingItems(state, subscription.customer, subscription.id).reduce(
    (sum, item) => sum + item.amount,
    0,
  );
  for (const change of changes) {
    const item = change.item;
    if (item && change.deleted) {
      total -= rest(item.price, item.quantity);
    } else if (item) {
      const price = change.price ?? item.price;
      const quantity = change.quantity ?? item.quantity;
      if (price.id !== item.price.id || quantity !== item.quantity) {
        total += rest(price, quantity) - rest(item.price, item.quantity);
      }
    } else if (change.price) {
      total += rest(change.price, change.quantity ?? 1);
    }
  }
  return total;
}

function checkAnchor(anchor: number, now: number, naturalEnd: number): void {
  if (anchor <= now) {
    throw invalidParameter('billing_cycle_anchor', 'billing_cycle_anchor must be in the future.');
  }
  if (anchor > naturalEnd) {
    throw invalidParameter(
      'billing_cycle_anchor',
      `billing_cycle_anchor cannot be later than next natural billing date (${naturalEnd}) for plan`,
    );
  }
}

/** Items of one subscription must bill together: same interval and currency. */
export function checkCompatible(prices: Price[], param: string): void {
  const [first, ...rest] = prices;
  if (!first) throw invalidParameter(param, 'A subscription needs at least one item.');
  for (const price of prices) {
    if (!price.recurring) {
      throw invalidParameter(param, `The price specified (${price.id}) is not recurring.`);
    }
  }
  for (const price of rest) {
    const same =
      price.currency === first.currency &&
      price.recurring?.interval === first.recurring?.interval &&
      price.recurring?.interval_count === first.recurring?.interval_count;
    if (!same) {
      throw invalidParameter(
        param,
        'All prices on a subscription must have the same currency and interval.',
      );
    }
  }
}

/**
 * The phases of a schedule may change the interval (monthly to yearly at the renewal) but
 * never the currency the subscription bills in.
 */
export function checkOneCurrency(prices: Price[], param: string): void {
  const [first] = prices;
  if (first && prices.some((price) => price.currency !== first.currency)) {
    throw invalidParameter(
      param,
      'All prices on a subscription must have the same currency and interval.',
    );
  }
}
