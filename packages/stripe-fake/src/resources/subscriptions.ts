import { cancelNow } from '../billing/cancel.ts';
import { followSubscriptionItems } from '../billing/schedules.ts';
import {
  checkCompatible,
  createSubscription,
  refuseUnpayableChange,
} from '../billing/subscriptions.ts';
import { type ItemChange, updateSubscription } from '../billing/update.ts';
import { invalidParameter } from '../errors.ts';
import { listOf, PAGINATION } from '../list.ts';
import { customerById, priceById, subscriptionById } from '../lookup.ts';
import {
  optBool,
  optEnum,
  optInt,
  optIntOrNow,
  optList,
  optMetadata,
  optString,
  type Params,
  parseParams,
  reqString,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';
import type { State } from '../state.ts';
import type { Price, Subscription } from '../types.ts';
import { BILLING_MODE, billingModeParam } from './subscription-schedules.ts';

const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;
const COLLECTION = ['charge_automatically', 'send_invoice'] as const;
const PAYMENT_BEHAVIOR = [
  'allow_incomplete',
  'error_if_incomplete',
  'default_incomplete',
  'pending_if_incomplete',
] as const;
const STATUSES = [
  'all',
  'active',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'trialing',
  'unpaid',
] as const;

export const subscriptionRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/subscriptions$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        customer: 'string',
        items: { list: { price: 'string', quantity: 'integer' } },
        billing_cycle_anchor: 'integer',
        proration_behavior: 'string',
        trial_period_days: 'integer',
        trial_end: 'integer_or_now',
        metadata: 'metadata',
        collection_method: 'string',
        days_until_due: 'integer',
        payment_behavior: 'string',
        billing_mode: BILLING_MODE,
      });
      const billingMode = billingModeParam(p, 'billing_mode');
      const customer = customerById(state, reqString(p, 'customer'), 'customer');
      const items = (optList(p, 'items') ?? []).map((item, index) => ({
        price: priceById(
          state,
          reqString(item, 'price', `items[${index}][price]`),
          `items[${index}][price]`,
        ),
        quantity: quantityOf(item, `items[${index}][quantity]`),
      }));
      if (items.length === 0)
        throw invalidParameter('items', 'Missing required param: items.', 'parameter_missing');
      checkCompatible(
        items.map((item) => item.price),
        'items',
      );
      const collectionMethod =
        optEnum(p, 'collection_method', COLLECTION) ?? 'charge_automatically';
      const daysUntilDue = optInt(p, 'days_until_due') ?? null;
      if (collectionMethod === 'send_invoice' && daysUntilDue === null) {
        throw invalidParameter(
          'days_until_due',
          'days_until_due is required when collection_method is send_invoice.',
        );
      }
      const anchor = optInt(p, 'billing_cycle_anchor');
      const trialEnd = trialEndOf(state, p);
      return createSubscription(state, {
        customer,
        items,
        ...(anchor !== undefined ? { billingCycleAnchor: anchor } : {}),
        ...(trialEnd !== undefined ? { trialEnd } : {}),
        metadata: optMetadata(p) ?? {},
        collectionMethod,
        daysUntilDue,
        paymentBehavior: optEnum(p, 'payment_behavior', PAYMENT_BEHAVIOR) ?? 'allow_incomplete',
        prorateFirstPeriod: optEnum(p, 'proration_behavior', PRORATION) !== 'none',
        ...(billingMode ? { billingMode } : {}),
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return subscriptionById(context.state, pathId(context));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscriptions$/,
    handle({ state, raw }) {
      const p = parseParams(raw, { customer: 'string', status: 'string', ...PAGINATION });
      const customer = optString(p, 'customer');
      const status = optEnum(p, 'status', STATUSES);
      const matching = [...state.subscriptions.values()].filter(
        (subscription) =>
          (customer === undefined || subscription.customer === customer) &&
          statusMatches(subscription, status),
      );
      return listOf(matching, '/v1/subscriptions', p);
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    handle(context) {
      const { state } = context;
      const subscription = subscriptionById(state, pathId(context));
      const p = parseParams(context.raw, {
        items: { list: { id: 'string', price: 'string', quantity: 'integer', deleted: 'boolean' } },
        proration_behavior: 'string',
        proration_date: 'integer',
        payment_behavior: 'string',
        cancel_at_period_end: 'boolean',
        metadata: 'metadata',
        trial_end: 'integer_or_now',
      });
      const items = (optList(p, 'items') ?? []).map((item, index) =>
        itemChange(state, subscription, item, index),
      );
      checkCompatible(pricesAfter(subscription, items), 'items');
      const prorationDate = optInt(p, 'proration_date');
      const cancelAtPeriodEnd = optBool(p, 'cancel_at_period_end');
      const metadata = optMetadata(p);
      const trialEnd = optIntOrNow(p, 'trial_end');
      const prorationBehavior = optEnum(p, 'proration_behavior', PRORATION) ?? 'create_prorations';
      const paymentBehavior =
        optEnum(p, 'payment_behavior', PAYMENT_BEHAVIOR) ?? 'allow_incomplete';
      if (paymentBehavior === 'error_if_incomplete' && prorationBehavior === 'always_invoice') {
        refuseUnpayableChange(state, subscription, items, prorationDate);
      }
      updateSubscription(state, subscription, {
        items,
        prorationBehavior,
        ...(prorationDate !== undefined ? { prorationDate } : {}),
        ...(cancelAtPeriodEnd !== undefined ? { cancelAtPeriodEnd } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        ...(trialEnd !== undefined ? { trialEnd } : {}),
      });
      // A schedule managing the subscription takes the new items into its current phase.
      if (items.length > 0) followSubscriptionItems(state, subscription);
      return subscription;
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/subscriptions\/([^/]+)$/,
    handle(context) {
      const subscription = subscriptionById(context.state, pathId(context));
      const p = parseParams(context.raw, { invoice_now: 'boolean', prorate: 'boolean' });
      cancelNow(context.state, subscription, {
        invoiceNow: optBool(p, 'invoice_now') ?? false,
        prorate: optBool(p, 'prorate') ?? false,
      });
      return subscription;
    },
  },
];

function quantityOf(item: Params, param: string): number {
  const quantity = optInt(item, 'quantity') ?? 1;
  if (quantity < 1) throw invalidParameter(param, 'Quantity must be at least 1.');
  return quantity;
}

/** trial_period_days or trial_end (absolute; 'now' means no trial) → the trial's end, if any. */
function trialEndOf(state: State, p: Params): number | undefined {
  const days = optInt(p, 'trial_period_days');
  const end = optIntOrNow(p, 'trial_end');
  if (days !== undefined && end !== undefined) {
    throw invalidParameter('trial_end', 'You cannot set both trial_end and trial_period_days.');
  }
  if (days !== undefined) return days > 0 ? state.now() + days * 86_400 : undefined;
  return end === 'now' ? undefined : end;
}

function itemChange(
  state: State,
  subscription: Subscription,
  item: Params,
  index: number,
): ItemChange {
  const id = optString(item, 'id');
  const existing =
    id === undefined ? undefined : subscription.items.data.find((entry) => entry.id === id);
  if (id !== undefined && !existing) {
    throw invalidParameter(
      `items[${index}][id]`,
      `No such subscription item: '${id}'`,
      'resource_missing',
    );
  }
  const priceId = optString(item, 'price');
  const quantity = optInt(item, 'quantity');
  const deleted = optBool(item, 'deleted');
  return {
    ...(existing ? { item: existing } : {}),
    ...(priceId ? { price: priceById(state, priceId, `items[${index}][price]`) } : {}),
    ...(quantity !== undefined ? { quantity: quantityOf(item, `items[${index}][quantity]`) } : {}),
    ...(deleted !== undefined ? { deleted } : {}),
  };
}

/**
 * The prices the subscription would bill after the change: all of one interval (a change of
 * every item to another interval starts a new period, see updateSubscription), and all in the
 * currency it bills in, which never changes.
 */
function pricesAfter(subscription: Subscription, changes: ItemChange[]): Price[] {
  const byItem = new Map(subscription.items.data.map((item) => [item.id, item.price]));
  const added: Price[] = [];
  for (const change of changes) {
    if (change.item && change.deleted) byItem.delete(change.item.id);
    else if (change.item && change.price) byItem.set(change.item.id, change.price);
    else if (!change.item && change.price) added.push(change.price);
  }
  const after = [...byItem.values(), ...added];
  if (after.some((price) => price.currency !== subscription.currency)) {
    throw invalidParameter(
      'items',
      'All prices on a subscription must have the same currency and interval.',
    );
  }
  return after;
}

/** Without a status filter Stripe lists every subscription that is not canceled. */
function statusMatches(
  subscription: Subscription,
  status: (typeof STATUSES)[number] | undefined,
): boolean {
  if (status === 'all') return true;
  if (status === 'ended')
    return subscription.status === 'canceled' || subscription.status === 'incomplete_expired';
  if (status === undefined) return subscription.status !== 'canceled';
  return subscription.status === status;
}
