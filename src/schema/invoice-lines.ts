import type { InvoiceLine } from '../billing/invoice.ts';
import { builder } from './builder.ts';
import { MeterType } from './catalog.ts';
import { MoneyType } from './money-type.ts';

const LineItemKindEnum = builder.enumType('LineItemKind', {
  values: ['BASE', 'OVERAGE', 'PRORATION', 'CREDIT'] as const,
});

export const InvoiceLineItemType = builder.objectRef<InvoiceLine>('InvoiceLineItem').implement({
  fields: (t) => ({
    kind: t.field({ type: LineItemKindEnum, resolve: (line) => line.kind }),
    description: t.exposeString('description'),
    meter: t.field({
      type: MeterType,
      nullable: true,
      resolve: (line, _args, ctx) =>
        line.meterKey ? ctx.loaders.meterByKey.load(line.meterKey) : null,
    }),
    used: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Usage of the resource in the period.',
      resolve: (l) => l.used,
    }),
    included: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Included quantity of the plan.',
      resolve: (l) => l.included,
    }),
    excess: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Units above the included quantity.',
      resolve: (l) => l.excess,
    }),
    unitPrice: t.field({ type: 'Decimal', nullable: true, resolve: (l) => l.unitPrice }),
    rateDescription: t.exposeString('rateDescription', {
      nullable: true,
      description: 'For people: "$0.0003 per request over 200,000".',
    }),
    amount: t.field({ type: MoneyType, resolve: (l) => l.amount }),
  }),
});
