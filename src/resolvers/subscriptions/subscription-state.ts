import { and, eq, lte } from 'drizzle-orm';
import { startOfNextUtcMonth } from '../../billing/period.ts';
import type { Services } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { type BillingSubscriptionRow, billingSubscriptions } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { freePlanId } from '../catalog/plan-store.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import { announceSubscription, announceTermsChanged } from '../live/announcements.ts';
import { currencyOf } from './organization-currency.ts';

type LiveServices = Pick<Services, 'live'>;

/**
 * After a commit: live banners see the subscription's new state, and limits are read again, on
 * every instance.
 */
export function subscriptionChanged(services: LiveServices, row: BillingSubscriptionRow): void {
  announceTermsChanged(services, row.organizationId);
  announceSubscription(services, row);
}

/** The free plan in the currency the organization pays in, if the catalog has one. */
async function freePlanFor(db: Executor, row: BillingSubscriptionRow): Promise<string | null> {
  const currency = await currencyOf(db, row.organizationId);
  return currency ? freePlanId(db, currency) : null;
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
  const free = await freePlanFor(db, row);
  if (free && free !== row.planId) await assignPlan(db, row.organizationId, free, now);
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
 * starts its next calendar month, on its pending plan if one waits, or on the free plan if it
 * was set to cancel (as a Stripe subscription that ends does); without a free plan it ends.
 */
export async function renewLedgerSubscriptions(
  services: Pick<Services, 'db' | 'now' | 'live' | 'usage'>,
  log: Logger,
) {
  const due = await services.db
    .select()
    .from(billingSubscriptions)
    .where(lte(billingSubscriptions.currentPeriodEnd, services.now()));
  let renewed = 0;
  for (const row of due) {
    if (row.stripeSubscriptionId || row.status === 'CANCELED') continue;
    const updated = await services.db.transaction((tx) => renew(tx, row));
    if (!updated) continue;
    renewed++;
    subscriptionChanged(services, updated);
  }
  if (renewed) log.info({ renewed }, 'ledger subscriptions renewed');
  return { renewed };
}

async function renew(
  tx: Executor,
  row: BillingSubscriptionRow,
): Promise<BillingSubscriptionRow | null> {
  const endedAt = row.currentPeriodEnd;
  const planId = row.cancelAtPeriodEnd
    ? await freePlanFor(tx, row)
    : (row.pendingPlanId ?? row.planId);
  const [updated] = await tx
    .update(billingSubscriptions)
    .set(
      planId
        ? {
            planId,
            pendingPlanId: null,
            cancelAtPeriodEnd: false,
            currentPeriodStart: endedAt,
            currentPeriodEnd: startOfNextUtcMonth(endedAt),
            status: row.status === 'TRIALING' ? 'ACTIVE' : row.status,
          }
        : { status: 'CANCELED', canceledAt: endedAt, cancelAtPeriodEnd: false },
    )
    // Another instance may have renewed it since it was read.
    .where(
      and(eq(billingSubscriptions.id, row.id), eq(billingSubscriptions.currentPeriodEnd, endedAt)),
    )
    .returning();
  if (updated && planId && planId !== row.planId) {
    await assignPlan(tx, row.organizationId, planId, endedAt);
  }
  return updated ?? null;
}
