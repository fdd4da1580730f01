import { type Interval, shift } from '../calendar.ts';
import { invalidParameter, invalidRequest } from '../errors.ts';
import { changedFields } from '../events.ts';
import { newId } from '../ids.ts';
import { mergeMetadata } from '../params.ts';
import type { State } from '../state.ts';
import type { Price, ProrationBehavior, Subscription, SubscriptionItem } from '../types.ts';
import { createInvoice, pendingItems, type SubscriptionCharge } from './invoices.ts';
import { finalizeAndCharge } from './payments.ts';
import { chargeFor, currentPeriod, intervalOf, setPeriod } from './periods.ts';
import { prorateChange } from './proration.ts';

export interface ItemChange {
  /** Existing item to change or delete; absent adds an item. */
  item?: SubscriptionItem;
  price?: Price;
  quantity?: number;
  deleted?: boolean;
}

export interface SubscriptionUpdate {
  items: ItemChange[];
  prorationBehavior: ProrationBehavior;
  prorationDate?: number;
  cancelAtPeriodEnd?: boolean;
  metadata?: Record<string, string> | null;
  trialEnd?: number | 'now';
}

/**
 * POST /v1/subscriptions/:id. Item changes keep the current period and, unless
 * proration_behavior=none (or the subscription is trialing), leave proration invoice items
 * pending; always_invoice bills them at once. A change to prices of another interval (monthly
 * to yearly) is Stripe's other case: the unused time is credited and the first full period of
 * the new interval begins now, the billing cycle anchor with it, invoiced at once less that
 * credit. Emits `customer.subscription.updated`.
 */
export function updateSubscription(
  state: State,
  subscription: Subscription,
  update: SubscriptionUpdate,
): void {
  const ended = subscription.status === 'canceled' || subscription.status === 'incomplete_expired';
  const touchesMore =
    update.items.length > 0 ||
    update.cancelAtPeriodEnd !== undefined ||
    update.trialEnd !== undefined;
  if (ended && touchesMore) {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
    );
  }
  // Stripe leaves cancellation of a scheduled subscription to its schedule (end_behavior=cancel,
  // or release it first); item changes are allowed and rewrite the schedule's current phase.
  if (subscription.schedule !== null && update.cancelAtPeriodEnd !== undefined) {
    throw invalidRequest(
      `The subscription is managed by the subscription schedule \`${subscription.schedule}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
    );
  }
  const now = state.now();
  const before = structuredClone(subscription);
  subscription.metadata = mergeMetadata(subscription.metadata, update.metadata);

  const at = update.prorationDate ?? now;
  const period = currentPeriod(subscription);
  if (update.prorationDate !== undefined && (at < period.start || at > period.end)) {
    throw invalidParameter(
      'proration_date',
      'proration_date must be within the current billing period.',
    );
  }
  const prorating = update.prorationBehavior !== 'none' && subscription.status !== 'trialing';
  const interval = intervalOf(subscription);
  const prorated = changeItems(state, subscription, update.items, prorating ? at : null);

  const charges: SubscriptionCharge[] = [];
  if (!sameInterval(interval, intervalOf(subscription)) && subscription.status !== 'trialing') {
    charges.push(...startPeriodNow(state, subscription, now));
  }
  if (update.trialEnd !== undefined)
    charges.push(...changeTrial(state, subscription, update.trialEnd));
  if (update.cancelAtPeriodEnd !== undefined)
    setCancelAtPeriodEnd(subscription, update.cancelAtPeriodEnd, now);

  const invoiceNow =
    charges.length > 0 || (prorated && update.prorationBehavior === 'always_invoice');
  const invoiceId = newId('in_');
  if (invoiceNow) subscription.latest_invoice = invoiceId;
  const changed = changedFields(before, subscription);
  if (Object.keys(changed).length > 0) {
    state.events.emit('customer.subscription.updated', subscription, changed);
  }
  if (!invoiceNow) return;
  const customer = state.customers.get(subscription.customer);
  if (!customer) throw new Error(`customer ${subscription.customer} vanished`);
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
    charges,
    pendingItems: pendingItems(state, customer.id, subscription.id),
    period: { start: now, end: now },
  });
  finalizeAndCharge(state, invoice);
}

/**
 * Applies items[] entries, prorated at `prorateAt` (null: no prorations); returns whether
 * proration items were created. Emits nothing: callers report the change.
 */
export function changeItems(
  state: State,
  subscription: Subscription,
  changes: ItemChange[],
  prorateAt: number | null,
): boolean {
  let prorated = false;
  for (const change of changes) {
    prorated = applyItemChange(state, subscription, change, prorateAt) || prorated;
  }
  if (subscription.items.data.length === 0) {
    throw invalidParameter('items', 'A subscription must keep at least one item.');
  }
  return prorated;
}

/** Applies one items[] entry; returns whether proration items were created. */
function applyItemChange(
  state: State,
  subscription: Subscription,
  change: ItemChange,
  prorateAt: number | null,
): boolean {
  const period = currentPeriod(subscription);
  const existing = change.item;
  if (existing && change.deleted) {
    subscription.items.data = subscription.items.data.filter((item) => item.id !== existing.id);
    if (prorateAt === null) return false;
    prorateChange(state, subscription, existing, { from: existing, at: prorateAt });
    return true;
  }
  if (existing) {
    const price = change.price ?? existing.price;
    const quantity = change.quantity ?? existing.quantity;
    if (price.id === existing.price.id && quantity === existing.quantity) return false;
    const from = { price: existing.price, quantity: existing.quantity };
    const newInterval = !sameInterval(recurringOf(existing.price), recurringOf(price));
    existing.price = structuredClone(price);
    existing.quantity = quantity;
    if (prorateAt === null) return false;
    // Another interval is billed from a new period: only the unused time is prorated.
    const to = newInterval ? {} : { to: { price, quantity } };
    prorateChange(state, subscription, existing, { from, ...to, at: prorateAt });
    return true;
  }
  if (!change.price) throw invalidParameter('items', 'New subscription items need a price.');
  const item: SubscriptionItem = {
    id: newId('si_', 14),
    object: 'subscription_item',
    created: state.now(),
    current_period_end: period.end,
    current_period_start: period.start,
    discounts: [],
    metadata: {},
    price: structuredClone(change.price),
    quantity: change.quantity ?? 1,
    subscription: subscription.id,
    tax_rates: [],
  };
  subscription.items.data.push(item);
  if (prorateAt === null) return false;
  prorateChange(state, subscription, item, { to: item, at: prorateAt });
  return true;
}

/**
 * trial_end=now ends the trial and starts a paid period now (Stripe resets the anchor to now);
 * a timestamp moves the trial's end. Returns the charges to invoice immediately.
 */
function changeTrial(
  state: State,
  subscription: Subscription,
  trialEnd: number | 'now',
): SubscriptionCharge[] {
  const now = state.now();
  if (trialEnd === 'now') {
    if (subscription.status !== 'trialing') return [];
    const period = { start: now, end: shift(now, intervalOf(subscription), 1) };
    setPeriod(subscription, period);
    subscription.billing_cycle_anchor = now;
    subscription.trial_end = now;
    subscription.status = 'active';
    return subscription.items.data.map((item) => chargeFor(state, item, period, now));
  }
  if (trialEnd <= now) {
    throw invalidParameter(
      'trial_end',
      'Invalid timestamp: must be an integer Unix timestamp in the future.',
    );
  }
  const { start, end } = currentPeriod(subscription);
  // A trial's end anchors the billing cycle unless an explicit anchor was chosen.
  const anchoredToTrial =
    subscription.status !== 'trialing' || subscription.billing_cycle_anchor === end;
  if (anchoredToTrial) subscription.billing_cycle_anchor = trialEnd;
  setPeriod(subscription, { start, end: trialEnd });
  subscription.trial_start ??= now;
  subscription.trial_end = trialEnd;
  subscription.status = 'trialing';
  state.trialWillEndSent.delete(subscription.id);
  return [];
}

function setCancelAtPeriodEnd(subscription: Subscription, cancel: boolean, now: number): void {
  subscription.cancel_at_period_end = cancel;
  subscription.cancel_at = cancel ? currentPeriod(subscription).end : null;
  subscription.canceled_at = cancel ? now : null;
  subscription.cancellation_details = {
    comment: null,
    feedback: null,
    reason: cancel ? 'cancellation_requested' : null,
  };
}

function recurringOf(price: Price): Interval {
  if (!price.recurring) throw new Error(`price ${price.id} is not recurring`);
  return price.recurring;
}

function sameInterval(a: Interval, b: Interval): boolean {
  return a.interval === b.interval && a.interval_count === b.interval_count;
}

/** The first full period of the subscription's (new) interval, from now: its charges. */
function startPeriodNow(
  state: State,
  subscription: Subscription,
  now: number,
): SubscriptionCharge[] {
  const period = { start: now, end: shift(now, intervalOf(subscription), 1) };
  setPeriod(subscription, period);
  subscription.billing_cycle_anchor = now;
  return subscription.items.data.map((item) => chargeFor(state, item, period, now));
}
