import { createInvoiceItem } from '../billing/invoice-items.ts';
import { attachInvoiceItem } from '../billing/invoices.ts';
import { invalidParameter, noSuch } from '../errors.ts';
import { listOf, PAGINATION } from '../list.ts';
import { customerById, invoiceById, subscriptionById } from '../lookup.ts';
import { checkAmountSize } from '../money.ts';
import {
  optBool,
  optInt,
  optMetadata,
  optObject,
  optString,
  parseParams,
  reqInt,
  reqString,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';

export const invoiceItemRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/invoiceitems$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        customer: 'string',
        amount: 'integer',
        currency: 'string',
        description: 'string',
        invoice: 'string',
        subscription: 'string',
        period: { object: { start: 'integer', end: 'integer' } },
        metadata: 'metadata',
      });
      const customer = customerById(state, reqString(p, 'customer'), 'customer');
      const amount = checkAmountSize('amount', reqInt(p, 'amount'));
      const currency = reqString(p, 'currency').toLowerCase();
      const invoiceId = optString(p, 'invoice');
      const invoice = invoiceId ? invoiceById(state, invoiceId, 'invoice') : undefined;
      if (invoice && invoice.customer !== customer.id) {
        throw invalidParameter('invoice', `Invoice ${invoice.id} belongs to another customer.`);
      }
      // Checked before anything is created, so a refused item leaves no trace.
      if (invoice && invoice.status !== 'draft') {
        throw invalidParameter(
          'invoice',
          `Invoice ${invoice.id} is not a draft; items can only be added to drafts.`,
        );
      }
      if (invoice && invoice.currency !== currency) {
        throw invalidParameter(
          'currency',
          `The currency of this invoice item (${currency}) must match the currency of invoice ${invoice.id} (${invoice.currency}).`,
        );
      }
      const subscriptionId = optString(p, 'subscription');
      const subscription = subscriptionId
        ? subscriptionById(state, subscriptionId, 'subscription')
        : undefined;
      const now = state.now();
      const period = optObject(p, 'period');
      const start = period ? optInt(period, 'start') : undefined;
      const end = period ? optInt(period, 'end') : undefined;
      const item = createInvoiceItem(state, {
        customer: customer.id,
        amount,
        currency,
        description: optString(p, 'description') || null,
        period: { start: start ?? end ?? now, end: end ?? start ?? now },
        metadata: optMetadata(p) ?? {},
        proration: false,
        ...(subscription ? { subscription: { id: subscription.id } } : {}),
      });
      if (invoice) attachInvoiceItem(invoice, item);
      return item;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoiceitems$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        customer: 'string',
        invoice: 'string',
        pending: 'boolean',
        ...PAGINATION,
      });
      const customer = optString(p, 'customer');
      const invoice = optString(p, 'invoice');
      const pending = optBool(p, 'pending');
      const matching = [...state.invoiceItems.values()].filter(
        (item) =>
          (customer === undefined || item.customer === customer) &&
          (invoice === undefined || item.invoice === invoice) &&
          (pending === undefined || (item.invoice === null) === pending),
      );
      return listOf(matching, '/v1/invoiceitems', p);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoiceitems\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      const id = pathId(context);
      const item = context.state.invoiceItems.get(id);
      if (!item) throw noSuch('invoiceitem', id);
      return item;
    },
  },
];
