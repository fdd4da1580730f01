import { desc, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { BackgroundServices, RequestContext } from '../../context.ts';
import {
  type BillingSubscriptionRow,
  type DuplicateStripeSubscriptionRow,
  duplicateStripeSubscriptions,
} from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';

type DuplicateServices = Pick<BackgroundServices, 'db' | 'now' | 'stripe'>;

/** Stripe's statuses of a subscription that bills nobody any more. */
export const ENDED_STRIPE_STATUSES: ReadonlySet<Stripe.Subscription.Status> = new Set([
  'canceled',
  'incomplete_expired',
]);

/**
 * A live Stripe subscription of an organization already billed by another one we know. Either
 * the one we know has ended in Stripe (we had not heard yet) and this one replaces it: answers
 * 'replaced' with the ended one's state, for the caller to apply first. Or the customer would
 * pay twice: the second is logged as an error, kept for ADMIN (duplicateStripeSubscriptions)
 * and canceled in Stripe at once, since the one we know is the one the ledger, the limits and
 * the invoices follow: answers 'duplicate'.
 */
export async function settleSecondSubscription(
  services: DuplicateServices,
  log: Logger,
  known: BillingSubscriptionRow,
  second: Stripe.Subscription,
): Promise<{ outcome: 'replaced'; known: Stripe.Subscription } | { outcome: 'duplicate' }> {
  const stripe = services.stripe;
  const knownId = known.stripeSubscriptionId as string;
  if (stripe) {
    const current = await stripe.retrieveSubscription(knownId);
    if (ENDED_STRIPE_STATUSES.has(current.status)) return { outcome: 'replaced', known: current };
  }
  const customerId = typeof second.customer === 'string' ? second.customer : second.customer.id;
  log.error(
    {
      organizationId: known.organizationId,
      duplicateStripeSubscriptionId: second.id,
      keptStripeSubscriptionId: knownId,
      stripeCustomerId: customerId,
    },
    'a second live Stripe subscription for one organization: the customer would pay twice; canceling the one we do not bill by',
  );
  await services.db
    .insert(duplicateStripeSubscriptions)
    .values({
      stripeSubscriptionId: second.id,
      organizationId: known.organizationId,
      keptStripeSubscriptionId: knownId,
      stripeCustomerId: customerId,
      detectedAt: services.now(),
    })
    .onConflictDoNothing();
  if (!stripe) return { outcome: 'duplicate' };
  try {
    await stripe.cancelNow(second.id);
    await services.db
      .update(duplicateStripeSubscriptions)
      .set({ canceledAt: services.now(), cancelError: null })
      .where(eq(duplicateStripeSubscriptions.stripeSubscriptionId, second.id));
  } catch (error) {
    await services.db
      .update(duplicateStripeSubscriptions)
      .set({ cancelError: error instanceof Error ? error.message : String(error) })
      .where(eq(duplicateStripeSubscriptions.stripeSubscriptionId, second.id));
    log.error(
      { err: error, duplicateStripeSubscriptionId: second.id },
      'could not cancel a duplicate Stripe subscription; tried again on its next event',
    );
  }
  return { outcome: 'duplicate' };
}

/** The duplicates seen, newest first, at most 100 (ADMIN). */
export function listDuplicateSubscriptions(
  ctx: RequestContext,
): Promise<DuplicateStripeSubscriptionRow[]> {
  return ctx.db
    .select()
    .from(duplicateStripeSubscriptions)
    .orderBy(desc(duplicateStripeSubscriptions.detectedAt))
    .limit(100);
}
