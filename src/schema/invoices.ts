import { type InvoiceRunFailureRow, invoiceStatus } from '../db/schema.ts';
import {
  findInvoice,
  type InvoiceView,
  invoiceLines,
  invoiceListArgs,
  listInvoices,
  upcomingInvoice,
} from '../resolvers/invoicing/invoice-queries.ts';
import { listRunFailures } from '../resolvers/invoicing/invoice-run-failures.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { connectionType } from './connections.ts';
import { InvoiceLineItemType } from './invoice-lines.ts';
import { liveOrganization, liveScopes } from './live.ts';
import { MoneyType } from './money-type.ts';
import { OrganizationType } from './organizations.ts';

const InvoiceStatusEnum = builder.enumType('InvoiceStatus', {
  values: invoiceStatus.enumValues,
});

const money = (amount: bigint, invoice: InvoiceView) => ({ amount, currency: invoice.currency });

const InvoiceType = builder.objectRef<InvoiceView>('Invoice').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeString('number', { nullable: true }),
    status: t.field({ type: InvoiceStatusEnum, resolve: (i) => i.status }),
    periodStart: t.field({ type: 'DateTime', resolve: (i) => i.periodStart }),
    periodEnd: t.field({ type: 'DateTime', resolve: (i) => i.periodEnd }),
    currency: t.exposeString('currency'),
    subtotal: t.field({ type: MoneyType, resolve: (i) => money(i.subtotal, i) }),
    total: t.field({ type: MoneyType, resolve: (i) => money(i.total, i) }),
    amountDue: t.field({
      type: MoneyType,
      description:
        'What this invoice collects: with Stripe, the total less the lines its subscription billed already (prepaid).',
      resolve: (i) => money(i.amountDue, i),
    }),
    amountPaid: t.field({ type: MoneyType, resolve: (i) => money(i.amountPaid, i) }),
    lineItems: t.field({
      type: [InvoiceLineItemType],
      resolve: (invoice, _args, ctx) => invoiceLines(ctx, invoice),
    }),
    stripeInvoiceId: t.exposeString('stripeInvoiceId', { nullable: true }),
    hostedInvoiceUrl: t.exposeString('hostedInvoiceUrl', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (i) => i.createdAt }),
    finalizedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.finalizedAt }),
    paidAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.paidAt }),
  }),
});

const InvoiceConnection = connectionType('Invoice', InvoiceType);

builder.queryFields((t) => ({
  invoices: t.field({
    type: InvoiceConnection,
    description: "The caller's organization's invoices, newest period first (OWNER, VIEWER).",
    authScopes: { member: 'readBilling' },
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
      status: t.arg({ type: InvoiceStatusEnum }),
    },
    resolve: (_root, args, ctx) =>
      listInvoices(ctx, liveOrganization(ctx, null), parseInput(invoiceListArgs, args)),
  }),
  invoice: t.field({
    type: InvoiceType,
    nullable: true,
    description: "One of the caller's organization's invoices (any, for ADMIN).",
    authScopes: { $any: { admin: true, member: 'readBilling' } },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => findInvoice(ctx, String(args.id)),
  }),
  upcomingInvoice: t.field({
    type: InvoiceType,
    nullable: true,
    description: 'The invoice the current period would produce if it ended now.',
    authScopes: { member: 'readBilling' },
    resolve: (_root, _args, ctx) => upcomingInvoice(ctx, liveOrganization(ctx, null)),
  }),
}));

const InvoiceRunFailureType = builder
  .objectRef<InvoiceRunFailureRow>('InvoiceRunFailure')
  .implement({
    description:
      'Something an invoice run could not do: an organization not invoiced (no invoiceId), or an invoice Stripe refused.',
    fields: (t) => ({
      id: t.exposeID('id'),
      period: t.exposeString('period', { description: 'The month of the run, YYYY-MM.' }),
      organizationId: t.exposeID('organizationId'),
      invoiceId: t.exposeID('invoiceId', { nullable: true }),
      error: t.exposeString('error'),
      failedAt: t.field({ type: 'DateTime', resolve: (f) => f.failedAt }),
    }),
  });

builder.queryField('invoiceRunFailures', (t) =>
  t.field({
    type: [InvoiceRunFailureType],
    description: 'What invoice runs could not do, newest first, at most 100 (ADMIN).',
    authScopes: { admin: true },
    args: { period: t.arg.string({ description: 'Only this month, YYYY-MM.' }) },
    resolve: (_root, args, ctx) => listRunFailures(ctx, args.period ?? null),
  }),
);

builder.objectField(OrganizationType, 'invoices', (t) =>
  t.field({
    type: InvoiceConnection,
    authScopes: { $any: { admin: true, member: 'readBilling' } },
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
      status: t.arg({ type: InvoiceStatusEnum }),
    },
    resolve: (organization, args, ctx) =>
      listInvoices(ctx, organization.id, parseInput(invoiceListArgs, args)),
  }),
);

builder.subscriptionField('invoiceUpdated', (t) =>
  t.field({
    type: InvoiceType,
    description: 'An invoice created, finalized, paid, voided or marked uncollectible.',
    args: { organizationId: t.arg.id() },
    authScopes: liveScopes,
    subscribe: (_root, args, ctx) =>
      ctx.live.stream('invoice:updated', liveOrganization(ctx, args.organizationId)),
    resolve: async (event: { invoiceId: string }, _args, ctx) => {
      // A connection's loaders live as long as it does: read the invoice afresh each time.
      const invoice = await ctx.loaders.invoiceById.clear(event.invoiceId).load(event.invoiceId);
      if (!invoice) throw new Error(`invoice ${event.invoiceId} vanished`);
      return invoice;
    },
  }),
);
