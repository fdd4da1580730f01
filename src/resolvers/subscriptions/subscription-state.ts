import { and, eq, lte } from 'drizzle-orm';
import { periodFrom } from '../../billing/intervals.ts';
import type { Services } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import {
  type BillingSubscriptionRow,
  billingSubscriptions,
  type PlanRow,
} from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { freePlan, planById } from '../catalog/plan-store.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import {
  announceEntitlements,
  announceSubscription,
  announceTermsChanged,
} from '../live/announcements.ts';
import { currencyOf } from './organization-currency.ts';
import { chargeYear } from './yearly-base.ts';

type LiveServices = Pick<Services, 'live'>;

/**
 * After a commit: live banners see the subscription's new state, and limits are read again, on
 * every instance.
 */
export function subscriptionChanged(services: LiveServices, row: BillingSubscriptionRow): void {
  announceTermsChanged(services, row.organizationId);
  announceSubscription(services, row);
  // A plan or status change is an entitlements change too.
  announceEntitlements(services, row.organizationId);
}

/** The free plan in the currency the organization pays in, if the catalog has one. */
async function freePlanFor(db: Executor, row: BillingSubscriptionRow): Promise<PlanRow | null> {
  const currency = await currencyOf(db, row.organizationId);
  return currency ? freePlan(db, currency) : null;
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
  if (free && free.id !== row.planId) {
    await assignPlan(db, row.organizationId, free.id, now, free.interval);
  }
  const [updated] = await db
    .update(billingSubscriptions)
    .set({
      planId: free?.id ?? row.planId,
      ...(free ? { interval: free.interval } : {}),
      pendingInterval: null,
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
  const plan = row.cancelAtPeriodEnd
    ? await freePlanFor(tx, row)
    : await planById(tx, row.pendingPlanId ?? row.planId);
  const interval = row.cancelAtPeriodEnd
    ? (plan?.interval ?? row.interval)
    : (row.pendingInterval ?? row.interval);
  const next = periodFrom(endedAt, interval);
  const [updated] = await tx
    .update(billingSubscriptions)
    .set(
      plan
        ? {
            planId: plan.id,
            interval,
            pendingPlanId: null,
            pendingInterval: null,
            cancelAtPeriodEnd: false,
            currentPeriodStart: next.start,
            currentPeriodEnd: next.end,
            status: row.status === 'TRIALING' ? 'ACTIVE' : row.status,
          }
        : { status: 'CANCELED', canceledAt: endedAt, cancelAtPeriodEnd: false },
    )
    // Another instance may have renewed it since it was read.
    .where(
      and(eq(billingSubscriptions.id, row.id), eq(billingSubscriptions.currentPeriodEnd, endedAt)),
    )
    .returning();
  if (!updated || !plan) return updated ?? null;
  if (plan.id !== row.planId || interval !== row.interval) {
    await assignPlan(tx, row.organizationId, plan.id, endedAt, interval);
  }
  // A new year begins: its base is charged now, once (the update above renewed it once).
  if (interval === 'YEAR') await chargeYear(tx, updated, plan, next);
  return updated ?? null;
}
