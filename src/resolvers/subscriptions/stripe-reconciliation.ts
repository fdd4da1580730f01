import { isNotNull } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { applyStripeSubscription } from './stripe-subscription-sync.ts';

/**
 * Reconciliation: re-reads every Stripe subscription we know and repairs what missed or
 * misordered webhooks left behind; answers how many it changed.
 */
export async function reconcileWithStripe(
  services: BackgroundServices,
  log: Logger,
): Promise<{ checked: number; repaired: number }> {
  const stripe = services.stripe;
  if (!stripe) return { checked: 0, repaired: 0 };
  const known = await services.db
    .select()
    .from(billingSubscriptions)
    .where(isNotNull(billingSubscriptions.stripeSubscriptionId));
  let repaired = 0;
  for (const before of known) {
    const observedAt = services.now();
    const subscription = await stripe.retrieveSubscription(before.stripeSubscriptionId as string);
    const after = await applyStripeSubscription(services, log, subscription, observedAt);
    const fields = [
      'planId',
      'status',
      'currentPeriodEnd',
      'cancelAtPeriodEnd',
      'trialEnd',
    ] as const;
    const changed = after && fields.some((f) => String(after[f]) !== String(before[f]));
    if (changed) {
      repaired++;
      log.warn(
        {
          organizationId: before.organizationId,
          before: pick(before, fields),
          after: pick(after, fields),
        },
        'reconciliation repaired a subscription',
      );
    }
  }
  return { checked: known.length, repaired };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
