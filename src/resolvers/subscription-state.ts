import { and, desc, eq, lte } from 'drizzle-orm';
import { startOfNextUtcMonth } from '../billing/period.ts';
import type { Services } from '../context.ts';
import type { Executor } from '../db/client.ts';
import { type BillingSubscriptionRow, billingSubscriptions, plans } from '../db/schema.ts';
import { subscriptionToWire } from '../live/wire.ts';
import type { Logger } from '../logger.ts';

type LiveServices = Pick<Services, 'live' | 'usage'>;

/** After a commit: live banners see the subscription's new state, and limits are read again. */
export function subscriptionChanged(services: LiveServices, row: BillingSubscriptionRow): void {
  services.usage.cache.forgetTerms(row.organizationId);
  services.live.publish('subscription:updated', row.organizationId, subscriptionToWire(row));
}

/** The plan organizations fall back to when they stop paying. */
export async function freePlanId(db: Executor): Promise<string | null> {
  const [plan] = await db
    .select({ id: plans.id })
    .from(plans)
    .where(eq(plans.key, 'free'))
    .orderBy(desc(plans.version))
    .limit(1);
  return plan?.id ?? null;
}

/**
 * Dunning's end: after too many failed payments, or when Stripe deleted the subscription, the
 * organization goes on the free plan (ACTIVE, no Stripe subscription), and its limits with it.
 */
export async function fallBackToFree(
  db: Executor,
  row: BillingSubscriptionRow,
  now: Date,
): Promise<BillingSubscriptionRow> {
  const free = await freePlanId(db);
  const [updated] = await db
    .update(billingSubscriptions)
    .set({
      planId: free ?? row.planId,
      status: free ? 'ACTIVE' : 'CANCELED',
      canceledAt: free ? null : now,
      cancelAtPeriodEnd: false,
      pendingPlanId: null,
      trialEnd: null,
      stripeSubscriptionId: null,
      stripeItemId: null,
      failedPaymentAttempts: 0,
    })
    .where(eq(billingSubscriptions.id, row.id))
    .returning();
  return updated ?? row;
}

/**
 * Ledger-only renewal: every subscription whose period has ended (and that Stripe does not run)
 * starts its next calendar month, taking its pending plan, or ends if it was set to cancel.
 */
export async function renewLedgerSubscriptions(
  services: Pick<Services, 'db' | 'now' | 'live' | 'usage'>,
  log: Logger,
) {
  const now = services.now();
  const due = await services.db
    .select()
    .from(billingSubscriptions)
    .where(and(lte(billingSubscriptions.currentPeriodEnd, now)));
  let renewed = 0;
  for (const row of due) {
    if (row.stripeSubscriptionId || row.status === 'CANCELED') continue;
    const [updated] = await services.db
      .update(billingSubscriptions)
      .set(
        row.cancelAtPeriodEnd
          ? { status: 'CANCELED', canceledAt: row.currentPeriodEnd, cancelAtPeriodEnd: false }
          : {
              planId: row.pendingPlanId ?? row.planId,
              periodPlanId: row.pendingPlanId ?? row.planId,
              pendingPlanId: null,
              currentPeriodStart: row.currentPeriodEnd,
              currentPeriodEnd: startOfNextUtcMonth(row.currentPeriodEnd),
              status: row.status === 'TRIALING' ? 'ACTIVE' : row.status,
              trialEnd: null,
            },
      )
      .where(
        and(
          eq(billingSubscriptions.id, row.id),
          eq(billingSubscriptions.currentPeriodEnd, row.currentPeriodEnd),
        ),
      )
      .returning();
    if (!updated) continue;
    renewed++;
    subscriptionChanged(services, updated);
  }
  if (renewed) log.info({ renewed }, 'ledger subscriptions renewed');
  return { renewed };
}
