import {
  createInvoice,
  markUncollectible,
  pendingItems,
  voidInvoice,
} from '../billing/invoices.ts';
import { finalize, payInvoice } from '../billing/payments.ts';
import { invalidParameter } from '../errors.ts';
import { listOf, PAGINATION } from '../list.ts';
import { customerById, invoiceById, subscriptionById } from '../lookup.ts';
import {
  optBool,
  optEnum,
  optInt,
  optMetadata,
  optString,
  parseParams,
  reqString,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';

const COLLECTION = ['charge_automatically', 'send_invoice'] as const;
const PENDING = ['include', 'exclude'] as const;
const STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

export const invoiceRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/invoices$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        customer: 'string',
        collection_method: 'string',
        currency: 'string',
        days_until_due: 'integer',
        default_payment_method: 'string',
        auto_advance: 'boolean',
        description: 'string',
        metadata: 'metadata',
        pending_invoice_items_behavior: 'string',
        subscription: 'string',
      });
      const customer = customerById(state, reqString(p, 'customer'), 'customer');
      const subscriptionId = optString(p, 'subscription');
      const subscription = subscriptionId
        ? subscriptionById(state, subscriptionId, 'subscription')
        : null;
      const collectionMethod =
        optEnum(p, 'collection_method', COLLECTION) ?? 'charge_automatically';
      const daysUntilDue = optInt(p, 'days_until_due') ?? null;
      if (collectionMethod === 'send_invoice' && daysUntilDue === null) {
        throw invalidParameter(
          'days_until_due',
          'days_until_due is required when collection_method is send_invoice.',
        );
      }
      // Stripe's default since API version 2022-08-01: pending items stay out unless asked for.
      const include =
        (optEnum(p, 'pending_invoice_items_behavior', PENDING) ?? 'exclude') === 'include';
      const asked = optString(p, 'currency')?.toLowerCase();
      if (asked !== undefined && !/^[a-z]{3}$/.test(asked)) {
        throw invalidParameter('currency', `Invalid currency: ${asked}`);
      }
      const pending = include ? pendingItems(state, customer.id, subscription?.id) : [];
      // Not given: the customer's currency (Stripe's default); for a customer without one, that
      // of its first pending item swept in, then the account's (usd).
      const currency = asked ?? customer.currency ?? pending[0]?.currency ?? 'usd';
      const now = state.now();
      const invoice = createInvoice(state, {
        customer,
        currency,
        subscription,
        billingReason: 'manual',
        collectionMethod,
        daysUntilDue,
        defaultPaymentMethod: optString(p, 'default_payment_method') ?? null,
        autoAdvance: optBool(p, 'auto_advance') ?? false,
        description: optString(p, 'description') || null,
        metadata: optMetadata(p) ?? {},
        charges: [],
        // Stripe sweeps in only the pending items in the invoice's currency.
        pendingItems: pending.filter((item) => item.currency === currency),
        period: { start: now, end: now },
      });
      if (daysUntilDue !== null) state.invoiceDueDays.set(invoice.id, daysUntilDue);
      return invoice;
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return invoiceById(context.state, pathId(context));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        customer: 'string',
        subscription: 'string',
        status: 'string',
        ...PAGINATION,
      });
      const customer = optString(p, 'customer');
      const subscription = optString(p, 'subscription');
      const status = optEnum(p, 'status', STATUSES);
      const matching = [...state.invoices.values()].filter(
        (invoice) =>
          (customer === undefined || invoice.customer === customer) &&
          (subscription === undefined ||
            invoice.parent?.subscription_details.subscription === subscription) &&
          (status === undefined || invoice.status === status),
      );
      return listOf(matching, '/v1/invoices', p);
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/finalize$/,
    handle(context) {
      const invoice = invoiceById(context.state, pathId(context));
      const p = parseParams(context.raw, { auto_advance: 'boolean' });
      finalize(context.state, invoice, optBool(p, 'auto_advance'));
      return invoice;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/pay$/,
    handle(context) {
      const invoice = invoiceById(context.state, pathId(context));
      parseParams(context.raw, {});
      payInvoice(context.state, invoice);
      return invoice;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/void$/,
    handle(context) {
      const invoice = invoiceById(context.state, pathId(context));
      parseParams(context.raw, {});
      voidInvoice(context.state, invoice);
      return invoice;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/mark_uncollectible$/,
    handle(context) {
      const invoice = invoiceById(context.state, pathId(context));
      parseParams(context.raw, {});
      markUncollectible(context.state, invoice);
      return invoice;
    },
  },
];
