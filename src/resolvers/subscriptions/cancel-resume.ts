import { eq } from 'drizzle-orm';
import type { RequestContext } from '../../context.ts';
import { type BillingSubscriptionRow, billingSubscriptions } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { operationKey } from '../../stripe/operation-keys.ts';
import { dropScheduledChange, stripeRunning } from './stripe-plan-change.ts';
import { applyStripeSubscription } from './stripe-subscription-sync.ts';
import { fallBackToFree, subscriptionChanged } from './subscription-state.ts';

async function current(
  ctx: RequestContext,
  organizationId: string,
): Promise<BillingSubscriptionRow> {
  const [row] = await ctx.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  if (!row) throw new NotFoundError('Subscription');
  return row;
}

/**
 * Cancels at the end of the period (it goes on until then, and can be resumed), or at once (the
 * organization falls back to the free plan, as when Stripe ends a subscription). Stripe first:
 * when it refuses, nothing changes here.
 */
export async function cancelSubscription(
  ctx: RequestContext,
  organizationId: string,
  atPeriodEnd: boolean,
) {
  const row = await current(ctx, organizationId);
  if (row.status === 'CANCELED') return row;
  const now = ctx.now();
  if (ctx.stripe && stripeRunning(row)) {
    // A change scheduled for the period's end goes: the subscription ends then instead.
    await dropScheduledChange(ctx.stripe, row);
    const stripeSubscription = atPeriodEnd
      ? await ctx.stripe.setCancelAtPeriodEnd(
          row.stripeSubscriptionId,
          true,
          operationKey('cancel-at-period-end', row.id),
        )
      : await ctx.stripe.cancelNow(row.stripeSubscriptionId);
    const synced = await applyStripeSubscription(ctx, ctx.log, stripeSubscription, now);
    return synced ?? current(ctx, organizationId);
  }
  const updated = atPeriodEnd
    ? (
        await ctx.db
          .update(billingSubscriptions)
          .set({ cancelAtPeriodEnd: true })
          .where(eq(billingSubscriptions.id, row.id))
          .returning()
      )[0]
    : await fallBackToFree(ctx.db, row, now);
  if (!updated) throw new Error('subscription vanished while canceling');
  subscriptionChanged(ctx, updated);
  return updated;
}

/** Takes back a cancellation set for the end of the period. */
export async function resumeSubscription(ctx: RequestContext, organizationId: string) {
  const row = await current(ctx, organizationId);
  if (row.status === 'CANCELED') {
    throw new ValidationError(
      'the subscription has ended; start a new one (createCheckoutSession)',
    );
  }
  if (!row.cancelAtPeriodEnd) throw new ValidationError('the subscription is not set to cancel');
  const now = ctx.now();
  if (ctx.stripe && row.stripeSubscriptionId) {
    const stripeSubscription = await ctx.stripe.setCancelAtPeriodEnd(
      row.stripeSubscriptionId,
      false,
      operationKey('resume', row.id),
    );
    const synced = await applyStripeSubscription(ctx, ctx.log, stripeSubscription, now);
    return synced ?? current(ctx, organizationId);
  }
  const [updated] = await ctx.db
    .update(billingSubscriptions)
    .set({ cancelAtPeriodEnd: false })
    .where(eq(billingSubscriptions.id, row.id))
    .returning();
  if (!updated) throw new Error('subscription vanished while resuming');
  subscriptionChanged(ctx, updated);
  return updated;
}
