import { eq } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { type BillingSubscriptionRow, billingSubscriptions, plans } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { stripePriceOf } from '../catalog/stripe-prices.ts';
import { stripeCustomerOf } from './stripe-customers.ts';
import { syncSubscription } from './stripe-subscription-sync.ts';
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
  const priceId = await stripePriceOf(services, stripe, plan, local.interval);
  const created = await stripe.createSubscription({
    subscriptionId: local.id,
    organizationId,
    customerId,
    priceId,
    interval: local.interval,
    now: services.now(),
    daysUntilDue: services.config.stripe?.invoiceDaysUntilDue,
  });
  // Read afresh rather than apply the answer: when a plan change provisioned it first (see
  // changePlan), this answer is Stripe's replay of that creation, older than the change.
  const applied = await syncSubscription(services, log, created.id);
  log.info(
    { organizationId, stripeSubscriptionId: created.id },
    'organization provisioned in Stripe',
  );
  if (applied) subscriptionChanged(services, applied);
}

/**
 * A subscription that Stripe should run but that its provisioning job has not put there yet
 * (never in Stripe: no Stripe state ever observed). A plan change provisions it first, with the
 * job's own idempotency keys, so that the two make one Stripe subscription and the change is
 * then made to it in Stripe, never to the ledger alone.
 */
export function awaitsProvisioning(services: BackgroundServices, row: BillingSubscriptionRow) {
  return (
    services.stripe !== null && row.stripeSubscriptionId === null && row.stripeStateAt === null
  );
}
