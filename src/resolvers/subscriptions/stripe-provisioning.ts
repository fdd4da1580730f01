import { eq } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions, plans } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { stripePriceOf } from '../catalog/stripe-prices.ts';
import { stripeCustomerOf } from './stripe-customers.ts';
import { applyStripeSubscription } from './stripe-subscription-sync.ts';
import { subscriptionChanged } from './subscription-state.ts';

/**
 * An organization provisioned by an ADMIN with a plan gets a Stripe customer and a subscription
 * anchored to the 1st. A job, so that Stripe being slow or down never fails createOrganization;
 * every call is idempotent, so a retry after a crash makes nothing twice.
 */
export async function provisionInStripe(
  services: BackgroundServices,
  log: Logger,
  organizationId: string,
): Promise<void> {
  const stripe = services.stripe;
  if (!stripe) return;
  const [local] = await services.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  if (!local || local.stripeSubscriptionId) return;
  const [plan] = await services.db.select().from(plans).where(eq(plans.id, local.planId));
  if (!plan) throw new Error(`plan ${local.planId} not found`);
  const customerId = await stripeCustomerOf(services, stripe, organizationId);
  const priceId = await stripePriceOf(services, stripe, plan);
  const observedAt = services.now();
  const created = await stripe.createSubscription({
    subscriptionId: local.id,
    organizationId,
    customerId,
    priceId,
    now: observedAt,
  });
  const applied = await applyStripeSubscription(services, log, created, observedAt);
  log.info(
    { organizationId, stripeSubscriptionId: created.id },
    'organization provisioned in Stripe',
  );
  if (applied) subscriptionChanged(services, applied);
}
