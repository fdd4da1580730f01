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

/**
 * Pending invoice items for changing an item at time t within its period [S, E): a credit of
 * −round(old × (E − t) / (E − S)) and a charge of round(new × (E − t) / (E − S)), each rounded
 * half away from zero in integer arithmetic. Either side may be absent (item added / deleted).
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
  if (change.from) {
    const { price, quantity } = change.from;
    const amount = -prorate(price.unit_amount * quantity, remaining, length);
    createInvoiceItem(state, {
      customer: subscription.customer,
      amount,
      currency: price.currency,
      description: `Unused time on ${priceLabel(state, price)} after ${date}`,
      period: window,
      metadata: {},
      proration: true,
      subscription: { id: subscription.id, item },
      price,
      quantity,
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
