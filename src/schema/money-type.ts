import { formatMoney, type Money } from '../billing/money.ts';
import { builder } from './builder.ts';

export const MoneyType = builder.objectRef<Money>('Money').implement({
  fields: (t) => ({
    amount: t.field({
      type: 'MinorUnits',
      description: 'Smallest currency unit (cents for USD), exact at any size.',
      resolve: (m) => m.amount,
    }),
    currency: t.exposeString('currency', {
      description: 'ISO 4217, lower case, as Stripe writes it: usd, eur.',
    }),
    formatted: t.string({ description: 'For people: $49.00', resolve: formatMoney }),
  }),
});
