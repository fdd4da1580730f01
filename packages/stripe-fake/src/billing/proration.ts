import { formatDate } from '../calendar.ts';
import { prorate } from '../money.ts';
import type { State } from '../state.ts';
import type { Period, Price, Subscription, SubscriptionItem } from '../types.ts';
import { createInvoiceItem } from './invoice-items.ts';
import { currentPeriod, priceLabel } from './periods.ts';

/** One side of an item change: what was (or will be) billed for the rest of the period. */
export interface Billed {
  price: Price;
  quantity: number;
}

/** What a subscription item was actually charged for a span of time. */
interface Debit {
  amount: number;
  period: Period;
  price: Price;
  quantity: number;
}

/**
 * Pending invoice items for changing an item at time t within its period [S, E), each rounded
 * half away from zero in integer arithmetic. Either side may be absent (item added / deleted).
 *
 * Debit (both billing modes): round(new × (E − t) / (E − S)), the current period's start and
 * end measuring the remaining time.
 *
 * Credit (https://docs.stripe.com/billing/subscriptions/prorations#credit-prorations):
 * - classic: −round(old × (E − t) / (E − S)), the item's current price and quantity, whatever
 *   was paid (after a proration_behavior=none change, or for a prorated first period);
 * - flexible: the last debit for this item covering t, [s, e) for amount A (the cycle's invoice
 *   line, or the debit of an earlier prorated change), credited as −round(A × (e − t) / (e − s));
 *   nothing when nothing was debited (an item added without prorations).
 */
export function prorateChange(
  state: State,
  subscription: Subscription,
  item: SubscriptionItem,
  change: { from?: Billed; to?: Billed; at: number },
): void {
  const period = currentPeriod(subscription);
  const remaining = period.end - change.at;
  const length = period.end - period.start;
  if (remaining <= 0 || length <= 0) return;
  const window: Period = { start: change.at, end: period.end };
  const date = formatDate(change.at);
  const credit = change.from ? creditFor(state, subscription, item, change.from, change.at) : null;
  if (credit) {
    createInvoiceItem(state, {
      customer: subscription.customer,
      amount: credit.amount,
      currency: credit.price.currency,
      description: `Unused time on ${priceLabel(state, credit.price)} after ${date}`,
      period: window,
      metadata: {},
      proration: true,
      subscription: { id: subscription.id, item },
      price: credit.price,
      quantity: credit.quantity,
    });
  }
  if (change.to) {
    const { price, quantity } = change.to;
    const amount = prorate(price.unit_amount * quantity, remaining, length);
    createInvoiceItem(state, {
      customer: subscription.customer,
      amount,
      currency: price.currency,
      description: `Remaining time on ${priceLabel(state, price)} after ${date}`,
      period: window,
      metadata: {},
      proration: true,
      subscription: { id: subscription.id, item },
      price,
      quantity,
    });
  }
}

/** The (negative) credit for unused time from `at`, per the subscription's billing mode. */
function creditFor(
  state: State,
  subscription: Subscription,
  item: SubscriptionItem,
  from: Billed,
  at: number,
): { amount: number; price: Price; quantity: number } | null {
  const period = currentPeriod(subscription);
  if (subscription.billing_mode.type === 'classic') {
    const amount = -prorate(
      from.price.unit_amount * from.quantity,
      period.end - at,
      period.end - period.start,
    );
    return { amount, price: from.price, quantity: from.quantity };
  }
  const debit = lastDebit(state, item.id, at);
  if (!debit || debit.amount <= 0) return null;
  const { start, end } = debit.period;
  const amount = -prorate(debit.amount, end - at, end - start);
  return { amount, price: debit.price, quantity: debit.quantity };
}

/**
 * The most recent charge of the item whose service period contains `at`: its subscription
 * lines on invoices (not voided) and its positive proration invoice items. A later start wins
 * (the debit of a change replaces the cycle's line from then on), then the later one made.
 */
function lastDebit(state: State, itemId: string, at: number): Debit | null {
  let best: Debit | null = null;
  const consider = (debit: Debit) => {
    const covers = debit.period.start <= at && at < debit.period.end;
    if (covers && (best === null || debit.period.start >= best.period.start)) best = debit;
  };
  for (const invoice of state.invoices.values()) {
    if (invoice.status === 'void') continue;
    for (const line of invoice.lines.data) {
      if (line.parent.subscription_item_details?.subscription_item !== itemId) continue;
      const price = priceOf(state, line.pricing?.price_details.price);
      if (price) {
        consider({ amount: line.amount, period: line.period, price, quantity: line.quantity ?? 1 });
      }
    }
  }
  for (const entry of state.invoiceItems.values()) {
    const forItem = entry.parent?.subscription_details.subscription_item === itemId;
    const price = priceOf(state, entry.pricing?.price_details.price);
    if (forItem && entry.proration && entry.amount > 0 && price) {
      consider({ amount: entry.amount, period: entry.period, price, quantity: entry.quantity });
    }
  }
  return best;
}

function priceOf(state: State, id: string | undefined): Price | undefined {
  return id === undefined ? undefined : state.prices.get(id);
}
