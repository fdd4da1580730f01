import { eq, isNotNull } from 'drizzle-orm';
import type { BackgroundServices } from '../../context.ts';
import { billingSubscriptions, type PlanRow, plans } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { StripeGateway } from '../../stripe/gateway.ts';

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
