import { boundaryBefore, formatDate, type Interval } from '../calendar.ts';
import { formatAmount, prorate } from '../money.ts';
import type { State } from '../state.ts';
import type { Period, Price, Subscription, SubscriptionItem } from '../types.ts';
import type { SubscriptionCharge } from './invoices.ts';

/**
 * A subscription's billing period lives on its items in this API version; the fake keeps all
 * items on one shared period, so the first item speaks for the subscription.
 */
export function currentPeriod(subscription: Subscription): Period {
  const item = subscription.items.data[0];
  if (!item) throw new Error(`subscription ${subscription.id} has no items`);
  return { start: item.current_period_start, end: item.current_period_end };
}

export function setPeriod(subscription: Subscription, period: Period): void {
  for (const item of subscription.items.data) {
    item.current_period_start = period.start;
    item.current_period_end = period.end;
  }
}

export function intervalOf(subscription: Subscription): Interval {
  const recurring = subscription.items.data[0]?.price.recurring;
  if (!recurring) throw new Error(`subscription ${subscription.id} has no recurring price`);
  return { interval: recurring.interval, interval_count: recurring.interval_count };
}

/**
 * The charge for one item over `period`. A whole interval costs unit_amount × quantity; a
 * shorter period (the stub before a billing_cycle_anchor) costs that × period / full interval,
 * the full interval being the one of the anchor's sequence that ends where the period ends.
 */
export function chargeFor(
  state: State,
  item: SubscriptionItem,
  period: Period,
  anchor: number,
  prorateStub = true,
): SubscriptionCharge {
  const price = item.price;
  const full = price.unit_amount * item.quantity;
  const interval = recurringOf(price);
  const fullStart = boundaryBefore(anchor, interval, period.end);
  if (period.start <= fullStart) {
    return { item, period, amount: full, description: lineDescription(state, item) };
  }
  const amount = prorateStub ? prorate(full, period.end - period.start, period.end - fullStart) : 0;
  const description = `Remaining time on ${item.quantity} × ${productName(state, price)} after ${formatDate(period.start)}`;
  return { item, period, amount, description };
}

/** "1 × Pro (at $49.00 / month)", Stripe's wording for a subscription line. */
function lineDescription(state: State, item: SubscriptionItem): string {
  const price = item.price;
  const { interval, interval_count } = recurringOf(price);
  const every = interval_count === 1 ? `/ ${interval}` : `every ${interval_count} ${interval}s`;
  return `${item.quantity} × ${productName(state, price)} (at ${formatAmount(price.unit_amount, price.currency)} ${every})`;
}

export function productName(state: State, price: Price): string {
  return state.products.get(price.product)?.name ?? price.product;
}

/** The name Stripe uses in proration descriptions: the price's nickname, else the product's. */
export function priceLabel(state: State, price: Price): string {
  return price.nickname ?? productName(state, price);
}

function recurringOf(price: Price): Interval {
  if (!price.recurring) throw new Error(`price ${price.id} is not recurring`);
  return price.recurring;
}
