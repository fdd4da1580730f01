import { eq, isNotNull } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions, organizations, type PlanRow, plans } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { StripeGateway } from '../../stripe/gateway.ts';
import { applyStripeSubscription } from './stripe-subscription-sync.ts';
import { subscriptionChanged } from './subscription-state.ts';

/** The plan version's Stripe price, made (and remembered on the plan) when missing. */
export async function stripePriceOf(
  services: Pick<BackgroundServices, 'db'>,
  stripe: StripeGateway,
  plan: PlanRow,
): Promise<string> {
  if (plan.stripePriceId) return plan.stripePriceId;
  const { productId, priceId } = await stripe.ensurePlanPrice(plan);
  await services.db
    .update(plans)
    .set({ stripeProductId: productId, stripePriceId: priceId })
    .where(eq(plans.id, plan.id));
  return priceId;
}

/** The organization's Stripe customer, made (and remembered) when missing. */
export async function stripeCustomerOf(
  services: Pick<BackgroundServices, 'db'>,
  stripe: StripeGateway,
  organizationId: string,
): Promise<string> {
  const [organization] = await services.db
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw new Error(`organization ${organizationId} not found`);
  if (organization.stripeCustomerId) return organization.stripeCustomerId;
  const customer = await stripe.createCustomer(organization);
  await services.db
    .update(organizations)
    .set({ stripeCustomerId: customer.id })
    .where(eq(organizations.id, organizationId));
  return customer.id;
}

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

/** Every plan version sold or subscribed to, as a Stripe product and price. Idempotent. */
export async function syncCatalog(services: BackgroundServices, log: Logger): Promise<number> {
  const stripe = services.stripe;
  if (!stripe) return 0;
  const all = await services.db.select().from(plans);
  const subscribed = new Set(
    (
      await services.db
        .select({ planId: billingSubscriptions.planId })
        .from(billingSubscriptions)
        .where(isNotNull(billingSubscriptions.planId))
    ).map((s) => s.planId),
  );
  let synced = 0;
  for (const plan of all.filter((p) => p.active || subscribed.has(p.id))) {
    await stripePriceOf(services, stripe, plan);
    synced++;
  }
  log.info({ plans: synced }, 'Stripe catalog in sync');
  return synced;
}

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
