import { and, eq, isNotNull } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import {
  type BillingInterval,
  billingSubscriptions,
  type PlanRow,
  planPrices,
  plans,
} from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { StripeGateway } from '../../stripe/gateway.ts';

/**
 * The Stripe price of a version at an interval (its default one unless named), made and
 * remembered when missing. The version must be sold at that interval.
 */
export async function stripePriceOf(
  services: Pick<BackgroundServices, 'db'>,
  stripe: StripeGateway,
  plan: PlanRow,
  interval: BillingInterval = plan.interval,
): Promise<string> {
  const [price] = await services.db
    .select()
    .from(planPrices)
    .where(and(eq(planPrices.planId, plan.id), eq(planPrices.interval, interval)));
  if (!price) throw new Error(`plan ${plan.key} v${plan.version} has no ${interval} price`);
  if (price.stripePriceId) return price.stripePriceId;
  const { productId, priceId } = await stripe.ensurePlanPrice(plan, price);
  await services.db.update(plans).set({ stripeProductId: productId }).where(eq(plans.id, plan.id));
  await services.db
    .update(planPrices)
    .set({ stripePriceId: priceId })
    .where(and(eq(planPrices.planId, plan.id), eq(planPrices.interval, interval)));
  return priceId;
}

/** Every interval's Stripe price of a version, made when missing; answers how many it has. */
export async function ensureStripePrices(
  services: Pick<BackgroundServices, 'db'>,
  stripe: StripeGateway,
  plan: PlanRow,
): Promise<number> {
  const prices = await services.db.select().from(planPrices).where(eq(planPrices.planId, plan.id));
  for (const price of prices) await stripePriceOf(services, stripe, plan, price.interval);
  return prices.length;
}

/** Every price of every plan version sold or subscribed to, as a Stripe product and price. Idempotent. */
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
    synced += await ensureStripePrices(services, stripe, plan);
  }
  log.info({ prices: synced }, 'Stripe catalog in sync');
  return synced;
}
