import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { BackgroundServices, RequestContext } from '../../context.ts';
import { billingSubscriptions, organizations } from '../../db/schema.ts';
import { BillingProviderError, NotFoundError, ValidationError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { operationKey } from '../../stripe/operation-keys.ts';
import { findPlan } from '../catalog/catalog-queries.ts';
import { intervalSold } from '../catalog/plan-store.ts';
import { stripePriceOf } from '../catalog/stripe-prices.ts';
import { currencyOf, refuseOtherCurrency } from './organization-currency.ts';
import { stripeCustomerOf } from './stripe-customers.ts';
import { syncSubscription } from './stripe-subscription-sync.ts';

/** Where Stripe sends people back: https, or (outside production) http on localhost. */
export function returnUrl(allowLocalHttp: boolean) {
  return z
    .url({ error: 'must be a URL' })
    .max(2048)
    .refine(
      (text) => {
        const url = new URL(text);
        return (
          url.protocol === 'https:' ||
          (allowLocalHttp &&
            url.protocol === 'http:' &&
            ['localhost', '127.0.0.1'].includes(url.hostname))
        );
      },
      allowLocalHttp ? 'must be https, or http on localhost' : 'must be https',
    );
}

export function checkoutInput(allowLocalHttp: boolean) {
  return z.object({
    planKey: z.string().min(1).max(64),
    /** The plan's default interval when left out. */
    interval: z.enum(['MONTH', 'YEAR']).nullish(),
    successUrl: returnUrl(allowLocalHttp),
    cancelUrl: returnUrl(allowLocalHttp),
  });
}

function requireStripe(ctx: RequestContext) {
  if (!ctx.stripe)
    throw new BillingProviderError(
      'Stripe is not configured: set STRIPE_SECRET_KEY',
      'not_configured',
    );
  return ctx.stripe;
}

/** Self-serve sign-up: a Checkout session for the plan, with the plan's trial days. */
export async function createCheckoutSession(
  ctx: RequestContext,
  organizationId: string,
  input: z.infer<ReturnType<typeof checkoutInput>>,
) {
  const stripe = requireStripe(ctx);
  const plan = await findPlan(ctx, input.planKey, null);
  if (!plan) throw new NotFoundError('Plan');
  if (!plan.active)
    throw ValidationError.forField(['planKey'], `the plan "${plan.key}" is no longer sold`);
  await refuseWhenSubscribed(ctx, organizationId);
  const currency = await currencyOf(ctx.db, organizationId);
  if (currency) refuseOtherCurrency(currency, plan, ['planKey']);
  const interval = await intervalSold(ctx.db, plan, input.interval ?? null);
  const customerId = await stripeCustomerOf(ctx, stripe, organizationId);
  const session = await stripe.createCheckoutSession({
    organizationId,
    customerId,
    priceId: await stripePriceOf(ctx, stripe, plan, interval),
    interval,
    trialDays: plan.trialDays,
    successUrl: input.successUrl,
    cancelUrl: input.cancelUrl,
    idempotencyKey: operationKey('checkout', organizationId),
    now: ctx.now(),
  });
  if (!session.url)
    throw new BillingProviderError('Stripe answered a Checkout session without a URL');
  return { id: session.id, url: session.url };
}

/**
 * Checkout makes a new Stripe subscription: for an organization that has a live one, the
 * customer would pay both. Another plan is changePlan's work.
 */
async function refuseWhenSubscribed(ctx: RequestContext, organizationId: string) {
  const [live] = await ctx.db
    .select({ stripeSubscriptionId: billingSubscriptions.stripeSubscriptionId })
    .from(billingSubscriptions)
    .where(
      and(
        eq(billingSubscriptions.organizationId, organizationId),
        isNotNull(billingSubscriptions.stripeSubscriptionId),
        ne(billingSubscriptions.status, 'CANCELED'),
      ),
    );
  if (live) {
    throw ValidationError.forField(
      ['planKey'],
      'the organization has a live subscription already; use changePlan to move it to another plan',
    );
  }
}

/** The Stripe customer portal, where people manage payment methods and invoices. */
export async function createPortalSession(
  ctx: RequestContext,
  organizationId: string,
  url: string,
) {
  const stripe = requireStripe(ctx);
  const customerId = await stripeCustomerOf(ctx, stripe, organizationId);
  const session = await stripe.createPortalSession(customerId, url);
  return { url: session.url };
}

/** Checkout finished: the organization's customer is remembered and its subscription synced. */
export async function checkoutCompleted(
  services: BackgroundServices,
  log: Logger,
  session: Stripe.Checkout.Session,
) {
  const organizationId = session.client_reference_id ?? session.metadata?.organization_id;
  const customerId = typeof session.customer === 'string' ? session.customer : session.customer?.id;
  if (organizationId && customerId) {
    await services.db
      .update(organizations)
      .set({ stripeCustomerId: customerId })
      .where(and(eq(organizations.id, organizationId), isNull(organizations.stripeCustomerId)));
  }
  const subscriptionId =
    typeof session.subscription === 'string' ? session.subscription : session.subscription?.id;
  if (subscriptionId) await syncSubscription(services, log, subscriptionId);
}
