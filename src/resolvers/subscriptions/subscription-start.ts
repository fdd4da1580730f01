import { periodFrom } from '../../billing/intervals.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  type BillingInterval,
  type BillingSubscriptionRow,
  billingSubscriptions,
  type PlanRow,
} from '../../db/schema.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import { chargeYear } from './yearly-base.ts';

/**
 * Starts an organization's local subscription, ACTIVE at once: organizations provisioned by an
 * ADMIN have no trial (trials are for self-serve Checkout). The first period runs to the next
 * 1st 00:00 UTC, or for a yearly subscription to the 1st twelve months after this month, whose
 * base (prorated from now) the ledger charges at once; with Stripe, Stripe does.
 */
export async function startSubscription(
  db: Executor,
  organizationId: string,
  plan: PlanRow,
  now: Date,
  how: { interval: BillingInterval; billedByStripe: boolean },
): Promise<BillingSubscriptionRow> {
  const period = periodFrom(now, how.interval);
  const [row] = await db
    .insert(billingSubscriptions)
    .values({
      id: newId('sub'),
      organizationId,
      planId: plan.id,
      interval: how.interval,
      status: 'ACTIVE',
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
    })
    .returning();
  if (!row) throw new Error('insert into billing_subscriptions returned no row');
  await assignPlan(db, organizationId, plan.id, period.start, how.interval);
  if (how.interval === 'YEAR' && !how.billedByStripe) await chargeYear(db, row, plan, period);
  return row;
}

/** The subscription of an organization, if it has one. */
export function findSubscription(
  ctx: RequestContext,
  organizationId: string,
): Promise<BillingSubscriptionRow | null> {
  return ctx.loaders.subscriptionByOrganizationId.load(organizationId);
}
