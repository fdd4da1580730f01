import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type { InvoiceItem, Metadata, Period, Price, SubscriptionItem } from '../types.ts';

export interface NewInvoiceItem {
  customer: string;
  amount: number;
  currency: string;
  description: string | null;
  period: Period;
  metadata: Metadata;
  proration: boolean;
  /** Set for items billed on behalf of a subscription (prorations). */
  subscription?: { id: string; item?: SubscriptionItem };
  price?: Price;
  quantity?: number;
}

/** Creates a pending invoice item and emits `invoiceitem.created`. */
export function createInvoiceItem(state: State, input: NewInvoiceItem): InvoiceItem {
  const quantity = input.quantity ?? 1;
  const item: InvoiceItem = {
    id: newId('ii_'),
    object: 'invoiceitem',
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    date: state.now(),
    description: input.description,
    discountable: !input.proration,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: input.metadata,
    parent: input.subscription
      ? {
          type: 'subscription_details',
          subscription_details: {
            subscription: input.subscription.id,
            ...(input.subscription.item ? { subscription_item: input.subscription.item.id } : {}),
          },
        }
      : null,
    period: { ...input.period },
    pricing: input.price
      ? {
          type: 'price_details',
          price_details: { price: input.price.id, product: input.price.product },
          // Only exact when the amount splits evenly over the quantity; Stripe shows a decimal.
          unit_amount_decimal:
            input.amount % quantity === 0 ? String(input.amount / quantity) : null,
        }
      : null,
    proration: input.proration,
    quantity,
    tax_rates: [],
    test_clock: null,
  };
  state.invoiceItems.set(item.id, item);
  state.events.emit('invoiceitem.created', item);
  return item;
}
