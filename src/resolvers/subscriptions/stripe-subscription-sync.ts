import { and, eq, gt, or } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { BackgroundServices, Services } from '../../context.ts';
import type { Executor, Transaction } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  type BillingInterval,
  type BillingSubscriptionRow,
  billingSubscriptions,
  invoices,
  organizations,
  type PlanRow,
  planPrices,
  plans,
} from '../../db/schema.ts';
import type { SubscriptionStatus } from '../../db/tables/enums.ts';
import type { Logger } from '../../logger.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import { ENDED_STRIPE_STATUSES, settleSecondSubscription } from './duplicate-subscriptions.ts';
import { fallBackToFree, subscriptionChanged } from './subscription-state.ts';

type SyncServices = Pick<Services, 'db' | 'now' | 'live' | 'usage' | 'stripe'>;

const STATUS: Record<Stripe.Subscription.Status, SubscriptionStatus> = {
  trialing: 'TRIALING',
  active: 'ACTIVE',
  past_due: 'PAST_DUE',
  canceled: 'CANCELED',
  unpaid: 'UNPAID',
  paused: 'PAUSED',
  incomplete: 'INCOMPLETE',
  incomplete_expired: 'CANCELED',
};

/**
 * Makes the local subscription what Stripe says it is. `observedAt` is when that state was read
 * from Stripe: a state older than the one already applied never overwrites it, whatever order
 * webhooks arrive in. A renewal takes the pending plan; a subscription Stripe ended leaves the
 * organization on the free plan. Applying the same state twice changes nothing (our own
 * changes come back as webhooks).
 */
export async function applyStripeSubscription(
  services: SyncServices,
  log: Logger,
  subscription: Stripe.Subscription,
  observedAt: Date,
): Promise<BillingSubscriptionRow | null> {
  const organizationId = await organizationOf(services, subscription);
  if (!organizationId) {
    log.warn(
      { stripeSubscriptionId: subscription.id },
      'Stripe subscription of no known organization; ignored',
    );
    return null;
  }
  const known = await billedByAnother(services, organizationId, subscription);
  if (known) {
    const settled = await settleSecondSubscription(services, log, known, subscription);
    if (settled.outcome === 'duplicate') return null;
    // The one we knew has ended: its end first (the organization falls back to free), then this.
    await applyStripeSubscription(services, log, settled.known, observedAt);
  }
  const priceId = subscription.items.data[0]?.price.id;
  const [priced] = priceId
    ? await services.db
        .select({ plan: plans, interval: planPrices.interval })
        .from(planPrices)
        .innerJoin(plans, eq(plans.id, planPrices.planId))
        .where(eq(planPrices.stripePriceId, priceId))
    : [];
  const seen: StripeState = {
    subscription,
    observedAt,
    organizationId,
    plan: priced?.plan ?? null,
    interval: priced?.interval ?? 'MONTH',
  };
  const updated = await services.db.transaction((tx) =>
    applyInTransaction(tx, services, log, seen),
  );
  if (updated) subscriptionChanged(services, updated);
  return updated;
}

/** A Stripe subscription as read at `observedAt`, with what it names here. */
interface StripeState {
  subscription: Stripe.Subscription;
  observedAt: Date;
  organizationId: string;
  /** The plan of the subscription's price, if it is one of ours. */
  plan: PlanRow | null;
  /** The interval of that price. */
  interval: BillingInterval;
}

async function applyInTransaction(
  tx: Transaction,
  services: SyncServices,
  log: Logger,
  seen: StripeState,
): Promise<BillingSubscriptionRow | null> {
  const { subscription, observedAt, organizationId } = seen;
  const [row] = await tx
    .select()
    .from(billingSubscriptions)
    .where(
      or(
        eq(billingSubscriptions.stripeSubscriptionId, subscription.id),
        eq(billingSubscriptions.organizationId, organizationId),
      ),
    )
    .for('update');
  if (row?.stripeStateAt && row.stripeStateAt > observedAt) return null;
  // An older Stripe subscription of the organization: the current one decides.
  if (row?.stripeSubscriptionId && row.stripeSubscriptionId !== subscription.id) return null;
  const status = await localStatus(tx, subscription, organizationId);
  if (!status) {
    log.warn(
      { stripeSubscriptionId: subscription.id, status: subscription.status },
      'unknown Stripe subscription status; ignored',
    );
    return null;
  }
  if (status === 'CANCELED') {
    return row?.stripeSubscriptionId ? fallBackToFree(tx, row, services.now()) : null;
  }
  const item = subscription.items.data[0];
  if (!item || !seen.plan) {
    log.warn(
      { stripeSubscriptionId: subscription.id, priceId: item?.price.id },
      'Stripe subscription on a price of no plan; ignored',
    );
    return null;
  }
  return writeState(tx, row ?? null, seen, { item, plan: seen.plan, status });
}

/**
 * Stripe's status as ours. Stripe's subscription knows only its own invoices; a failed payment
 * of one of ours (the month's usage) makes it PAST_DUE here too, until that invoice is paid.
 */
async function localStatus(
  tx: Transaction,
  subscription: Stripe.Subscription,
  organizationId: string,
): Promise<SubscriptionStatus | undefined> {
  const status: SubscriptionStatus | undefined = STATUS[subscription.status];
  return status === 'ACTIVE' && (await hasFailedInvoice(tx, organizationId)) ? 'PAST_DUE' : status;
}

/** Writes Stripe's state over the local row (or creates it); null when nothing changed. */
async function writeState(
  tx: Transaction,
  row: BillingSubscriptionRow | null,
  seen: StripeState,
  live: { item: Stripe.SubscriptionItem; plan: PlanRow; status: SubscriptionStatus },
): Promise<BillingSubscriptionRow | null> {
  const { subscription, observedAt, organizationId } = seen;
  const { item, plan } = live;
  const periodStart = new Date(item.current_period_start * 1000);
  const renewed = !row || periodStart > row.currentPeriodStart;
  // A change at the period's end waits in Stripe's schedule until the renewal, and here as the
  // pending plan; released from its schedule (in the Dashboard, say), it will not happen. A
  // change made before schedules were used is on Stripe's price already, and waits here alone.
  const scheduled = subscription.schedule !== null && plan.id !== row?.pendingPlanId;
  const onPendingPrice = plan.id === row?.pendingPlanId;
  const waiting = Boolean(row?.pendingPlanId) && !renewed && (scheduled || onPendingPrice);
  const keepsOld = waiting && onPendingPrice && row;
  const values = {
    planId: keepsOld ? row.planId : plan.id,
    interval: keepsOld ? row.interval : seen.interval,
    pendingInterval: waiting ? (row?.pendingInterval ?? null) : null,
    pendingPlanId: waiting ? (row?.pendingPlanId ?? null) : null,
    status: live.status,
    currentPeriodStart: periodStart,
    currentPeriodEnd: new Date(item.current_period_end * 1000),
    trialEnd: subscription.trial_end ? new Date(subscription.trial_end * 1000) : null,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    canceledAt: subscription.canceled_at ? new Date(subscription.canceled_at * 1000) : null,
    stripeSubscriptionId: subscription.id,
    stripeItemId: item.id,
    stripeStateAt: observedAt,
  };
  if (row && !differs(row, values)) {
    // Our own change echoed back (or a duplicate): nothing new to apply or to announce.
    await tx
      .update(billingSubscriptions)
      .set({ stripeStateAt: observedAt })
      .where(eq(billingSubscriptions.id, row.id));
    return null;
  }
  if (values.planId !== row?.planId || values.interval !== row?.interval) {
    // A renewal takes its plan from the period's start; a change made in Stripe, from now.
    const from = renewed ? periodStart : observedAt;
    await assignPlan(tx, organizationId, values.planId, from, values.interval);
  }
  const [written] = row
    ? await tx
        .update(billingSubscriptions)
        .set(values)
        .where(eq(billingSubscriptions.id, row.id))
        .returning()
    : await tx
        .insert(billingSubscriptions)
        .values({ id: newId('sub'), organizationId, ...values })
        .returning();
  return written ?? null;
}

/**
 * The organization's subscription row when it is billed by another live Stripe subscription
 * than this live one: a second subscription for one customer.
 */
async function billedByAnother(
  services: SyncServices,
  organizationId: string,
  subscription: Stripe.Subscription,
): Promise<BillingSubscriptionRow | null> {
  if (ENDED_STRIPE_STATUSES.has(subscription.status)) return null;
  const [row] = await services.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  const other = row?.stripeSubscriptionId && row.stripeSubscriptionId !== subscription.id;
  return other && row.status !== 'CANCELED' ? row : null;
}

async function organizationOf(
  services: SyncServices,
  subscription: Stripe.Subscription,
): Promise<string | null> {
  const fromMetadata = subscription.metadata?.organization_id;
  if (fromMetadata) return fromMetadata;
  const customerId =
    typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
  const [organization] = await services.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.stripeCustomerId, customerId));
  return organization?.id ?? null;
}

/** Whether Stripe's view changes anything we hold (the observation time aside). */
function differs(
  row: BillingSubscriptionRow,
  values: Partial<Record<keyof BillingSubscriptionRow, unknown>>,
): boolean {
  return Object.entries(values).some(([key, value]) => {
    if (key === 'stripeStateAt') return false;
    const held = row[key as keyof BillingSubscriptionRow];
    if (held instanceof Date && value instanceof Date) return held.getTime() !== value.getTime();
    return held !== value;
  });
}

async function hasFailedInvoice(tx: Executor, organizationId: string): Promise<boolean> {
  const [failed] = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(
      and(
        eq(invoices.organizationId, organizationId),
        eq(invoices.status, 'OPEN'),
        gt(invoices.failedPaymentAttempts, 0),
      ),
    )
    .limit(1);
  return failed !== undefined;
}

/** Always read the subscription afresh: whatever order events come in, Stripe's now is newest. */
export async function syncSubscription(
  services: SyncServices & Pick<BackgroundServices, 'stripe'>,
  log: Logger,
  stripeSubscriptionId: string,
) {
  if (!services.stripe) return null;
  const observedAt = services.now();
  const subscription = await services.stripe.retrieveSubscription(stripeSubscriptionId);
  return applyStripeSubscription(services, log, subscription, observedAt);
}
