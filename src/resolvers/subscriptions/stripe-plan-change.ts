import type { Period } from '../../billing/period.ts';
import type { RequestContext } from '../../context.ts';
import type { BillingSubscriptionRow } from '../../db/schema.ts';
import type { StripeGateway } from '../../stripe/gateway.ts';
import { operationKey } from '../../stripe/operation-keys.ts';
import { stripePriceOf } from '../catalog/stripe-prices.ts';
import type { PricedSide } from './change-charges.ts';

/** A subscription Stripe runs: its Stripe ids are known. */
type InStripe = BillingSubscriptionRow & { stripeSubscriptionId: string; stripeItemId: string };

export function stripeRunning(row: BillingSubscriptionRow): row is InStripe {
  return row.stripeSubscriptionId !== null && row.stripeItemId !== null;
}

/**
 * A plan change made in Stripe. IMMEDIATELY: the item moves to the new price (of the new
 * version and interval), prorated as of `at` and invoiced at once (after a change scheduled for
 * the period's end is dropped, so that Stripe prorates from the price paid for); answers the
 * period Stripe bills now, a new one when the interval changed. PERIOD_END: Stripe's schedule
 * makes the change at the renewal, and until then bills and prorates from the current price.
 */
export async function changePlanInStripe(
  ctx: RequestContext,
  stripe: StripeGateway,
  change: {
    subscription: InStripe;
    from: PricedSide;
    to: PricedSide;
    at: Date;
    immediate: boolean;
  },
): Promise<Period | null> {
  const { subscription, from, to } = change;
  const key = operationKey(change.immediate ? 'plan-change' : 'plan-pending', subscription.id);
  const scheduleId = await scheduleOf(stripe, subscription);
  const nextPriceId = await stripePriceOf(ctx, stripe, to.plan, to.interval);
  if (!change.immediate) {
    await stripe.scheduleNextPrice({
      stripeSubscriptionId: subscription.stripeSubscriptionId,
      scheduleId,
      currentPriceId: await stripePriceOf(ctx, stripe, from.plan, from.interval),
      nextPriceId,
      interval: to.interval,
      idempotencyKey: key,
    });
    return null;
  }
  if (scheduleId) await stripe.releaseSchedule(scheduleId, `${key}:release`);
  const changed = await stripe.changePrice({
    stripeSubscriptionId: subscription.stripeSubscriptionId,
    itemId: subscription.stripeItemId,
    priceId: nextPriceId,
    prorationDate: change.at,
    idempotencyKey: key,
  });
  // Another interval began a new period in Stripe: its dates are Stripe's.
  const item = changed.items.data[0];
  return item
    ? {
        start: new Date(item.current_period_start * 1000),
        end: new Date(item.current_period_end * 1000),
      }
    : null;
}

/**
 * Drops a change scheduled in Stripe for the end of the period (before a cancellation, which
 * Stripe refuses on a scheduled subscription and which makes the change moot).
 */
export async function dropScheduledChange(
  stripe: StripeGateway,
  subscription: InStripe,
): Promise<void> {
  const scheduleId = await scheduleOf(stripe, subscription);
  if (scheduleId) {
    await stripe.releaseSchedule(scheduleId, operationKey('release-schedule', subscription.id));
  }
}

/** The schedule managing the subscription in Stripe now, if one does. */
async function scheduleOf(stripe: StripeGateway, subscription: InStripe): Promise<string | null> {
  const current = await stripe.retrieveSubscription(subscription.stripeSubscriptionId);
  const schedule = current.schedule;
  return typeof schedule === 'string' ? schedule : (schedule?.id ?? null);
}
