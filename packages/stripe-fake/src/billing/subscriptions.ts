import { shift } from '../calendar.ts';
import { cardDeclined, invalidParameter } from '../errors.ts';
import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type {
  CollectionMethod,
  Customer,
  Metadata,
  Period,
  Price,
  Subscription,
  SubscriptionItem,
} from '../types.ts';
import { createInvoice, pendingItems, type SubscriptionCharge } from './invoices.ts';
import { finalize, finalizeAndCharge } from './payments.ts';
import { chargeFor, productName } from './periods.ts';

export type PaymentBehavior =
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
}

/**
 * Creates a subscription the way Stripe does: first period (trial, stub up to the anchor, or a
 * whole interval), then its first invoice, finalized and charged. A declined card makes it
 * `incomplete` (or answers 402 with payment_behavior=error_if_incomplete).
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
  const declined = charged && state.declinedCustomers.has(input.customer.id);
  if (declined && input.paymentBehavior === 'error_if_incomplete') throw cardDeclined();
  const waitsForPayment = charged && input.paymentBehavior === 'default_incomplete';

  const invoiceId = newId('in_');
  const subscription: Subscription = {
    id,
    object: 'subscription',
    billing_cycle_anchor: anchor,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: input.collectionMethod,
    created: now,
    currency: first.price.currency,
    customer: input.customer.id,
    days_until_due: input.daysUntilDue,
    default_payment_method: null,
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
    status: trial ? 'trialing' : declined || waitsForPayment ? 'incomplete' : 'active',
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
