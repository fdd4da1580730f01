import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type BillingInterval, periodFrom } from '../../billing/intervals.ts';
import type { InvoiceLine } from '../../billing/invoice.ts';
import { type Money, money } from '../../billing/money.ts';
import { calendarMonthOf, type Period } from '../../billing/period.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  type BillingSubscriptionRow,
  billingSubscriptions,
  type PlanRow,
  prorationItems,
} from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { alertsFired } from '../alerts/alert-dispatch.ts';
import { findPlan } from '../catalog/catalog-queries.ts';
import { intervalSold, planById, priceAt } from '../catalog/plan-store.ts';
import { draftInvoices } from '../invoicing/invoice-drafts.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import { fireThresholdsOfNewLimits, monthTotals } from '../metering/limit-changes.ts';
import { loadOrganizationTerms, type OrganizationTerms } from '../metering/meter-terms-store.ts';
import { type ChangeCharge, immediateCharges, type PricedSide } from './change-charges.ts';
import { hardLimitWarnings } from './limit-warnings.ts';
import { refuseOtherCurrency } from './organization-currency.ts';
import { changePlanInStripe, stripeRunning } from './stripe-plan-change.ts';
import { awaitsProvisioning, provisionInStripe } from './stripe-provisioning.ts';
import { subscriptionChanged } from './subscription-state.ts';

export const planChangeInput = z.object({
  planKey: z.string().min(1).max(64),
  timing: z.enum(['IMMEDIATELY', 'PERIOD_END']),
  /** The interval to be charged at; the current one (if the plan is sold at it) when left out. */
  interval: z.enum(['MONTH', 'YEAR']).nullish(),
});
export type PlanChangeInput = z.infer<typeof planChangeInput>;

export interface PlanChangePreview {
  from: PlanRow;
  to: PlanRow;
  timing: PlanChangeInput['timing'];
  effectiveAt: Date;
  /** Stripe's way: unused time on the old plan credited, remaining time on the new charged. */
  proration: Money;
  /** This period's invoice as if it ended now, with the change made. */
  nextInvoiceTotal: Money;
  lineItems: InvoiceLine[];
  /** What the change does to usage already recorded, for people (e.g. a HARD limit exceeded). */
  warnings: string[];
}

interface ChangeContext {
  subscription: BillingSubscriptionRow;
  from: PricedSide;
  to: PricedSide;
  now: Date;
}

async function changeContext(
  ctx: RequestContext,
  organizationId: string,
  input: PlanChangeInput,
  target?: PlanRow,
): Promise<ChangeContext> {
  const [subscription] = await ctx.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  if (!subscription || subscription.status === 'CANCELED') throw new NotFoundError('Subscription');
  // The latest version of the key, unless a migration names the version.
  const to = target ?? (await findPlan(ctx, input.planKey, null));
  if (!to) throw new NotFoundError('Plan');
  if (!to.active)
    throw ValidationError.forField(['planKey'], `the plan "${to.key}" is no longer sold`);
  const from = await planById(ctx.db, subscription.planId);
  refuseOtherCurrency(from.currency, to, ['planKey']);
  // Left out, the interval stays what it is when the new plan is sold at it.
  const keeps = (await priceAt(ctx.db, to, subscription.interval)) !== null;
  const interval = await intervalSold(
    ctx.db,
    to,
    input.interval ?? (keeps ? subscription.interval : null),
  );
  if (from.id === to.id && interval === subscription.interval)
    throw ValidationError.forField(['planKey'], `already on the ${to.name} plan`);
  if (subscription.interval === 'YEAR' && interval === 'MONTH' && input.timing === 'IMMEDIATELY') {
    throw ValidationError.forField(
      ['timing'],
      'a yearly subscription becomes monthly at the end of its paid year: use PERIOD_END',
    );
  }
  const scheduled =
    (subscription.pendingPlanId ?? subscription.planId) === to.id &&
    (subscription.pendingInterval ?? subscription.interval) === interval &&
    (subscription.pendingPlanId !== null || subscription.pendingInterval !== null);
  if (scheduled && input.timing === 'PERIOD_END') {
    throw ValidationError.forField(
      ['planKey'],
      `the ${to.name} plan is already scheduled for the end of the period`,
    );
  }
  const side = async (plan: PlanRow, at: BillingInterval): Promise<PricedSide> => ({
    plan,
    interval: at,
    price: (await priceAt(ctx.db, plan, at)) ?? plan.basePriceAmount,
  });
  return {
    subscription,
    from: await side(from, subscription.interval),
    to: await side(to, interval),
    now: ctx.now(),
  };
}

/** What a plan change would do, without doing it. */
export async function previewPlanChange(
  ctx: RequestContext,
  organizationId: string,
  input: PlanChangeInput,
): Promise<PlanChangePreview> {
  const change = await changeContext(ctx, organizationId, input);
  return (await preview(ctx, change, input.timing)).result;
}

async function preview(
  ctx: RequestContext,
  change: ChangeContext,
  timing: PlanChangeInput['timing'],
): Promise<{ result: PlanChangePreview; charges: ChangeCharge[] }> {
  const { subscription, from, to, now } = change;
  const immediate = timing === 'IMMEDIATELY';
  const charges = immediate
    ? immediateCharges(subscription, from, to, now, ctx.stripe !== null)
    : [];
  const organizationId = subscription.organizationId;
  const month = calendarMonthOf(now);
  const draft = (
    await draftInvoices(ctx.db, [organizationId], month, {
      billedByStripe: ctx.stripe !== null,
      pricedAt: now,
      ...(immediate
        ? { asIfChanged: { organizationId, planId: to.plan.id, prorations: charges } }
        : {}),
    })
  ).get(organizationId);
  if (!draft) throw new Error(`organization ${organizationId} has no plan to preview from`);
  const terms = (
    await loadOrganizationTerms(ctx.db, [organizationId], immediate ? { planId: to.plan.id } : {})
  ).get(organizationId) as OrganizationTerms;
  const used = await monthTotals(ctx.db, organizationId, month.start);
  const warnings = hardLimitWarnings(terms, used, to.plan, 'this period');
  const net = charges.reduce((sum, charge) => sum + charge.amount, 0n);
  return {
    result: {
      from: from.plan,
      to: to.plan,
      timing,
      effectiveAt: immediate ? now : subscription.currentPeriodEnd,
      proration: money(net, to.plan.currency),
      nextInvoiceTotal: draft.computed.total,
      lineItems: draft.computed.lines,
      warnings,
    },
    charges,
  };
}

/**
 * Changes the plan, to the latest version of `input.planKey` or to `target` (a migration's
 * version). IMMEDIATELY (upgrades): the new plan and its limits apply now and the rest of
 * the period is prorated (with Stripe: the subscription item changes and Stripe invoices the
 * proration at once). PERIOD_END (downgrades): the plan waits as pendingPlan until the renewal
 * (with Stripe: a subscription schedule makes the change at the renewal).
 * A Stripe failure changes nothing here.
 */
export async function changePlan(
  ctx: RequestContext,
  organizationId: string,
  input: PlanChangeInput,
  target?: PlanRow,
) {
  await provisionFirst(ctx, organizationId);
  const change = await changeContext(ctx, organizationId, input, target);
  const { result: planPreview, charges } = await preview(ctx, change, input.timing);
  const immediate = input.timing === 'IMMEDIATELY';
  const stripe = await changeInStripe(ctx, change, immediate);
  const { updated, alerts } = await ctx.db.transaction((tx) =>
    recordChange(tx, change, { immediate, stripe, charges }),
  );
  subscriptionChanged(ctx, updated);
  await alertsFired(ctx, organizationId, alerts);
  ctx.log.info(
    {
      organizationId,
      from: change.from.plan.key,
      to: change.to.plan.key,
      interval: change.to.interval,
      timing: input.timing,
    },
    'plan changed',
  );
  return { subscription: updated, preview: planPreview };
}

/**
 * A change asked for while provisioning in Stripe is still to come (or under way) waits for it:
 * made here alone, provisioning would put the old plan in Stripe at the same moment.
 */
async function provisionFirst(ctx: RequestContext, organizationId: string): Promise<void> {
  const [row] = await ctx.db
    .select()
    .from(billingSubscriptions)
    .where(eq(billingSubscriptions.organizationId, organizationId));
  if (row && awaitsProvisioning(ctx, row)) await provisionInStripe(ctx, ctx.log, organizationId);
}

/** What Stripe answered a change: when, and the period it bills now (null: unchanged). */
interface StripeAnswer {
  at: Date;
  period: Period | null;
}

/**
 * With a Stripe subscription, Stripe first: when it refuses, nothing changes here. Answers when
 * Stripe's answer came (what it then said is the newest state) and its period, or null without
 * Stripe.
 */
async function changeInStripe(
  ctx: RequestContext,
  change: ChangeContext,
  immediate: boolean,
): Promise<StripeAnswer | null> {
  const { subscription, from, to, now } = change;
  if (!ctx.stripe || !stripeRunning(subscription)) return null;
  const period = await changePlanInStripe(ctx, ctx.stripe, {
    subscription,
    from,
    to,
    at: now,
    immediate,
  });
  return { at: ctx.now(), period };
}

/**
 * The change, in one transaction: the plan now (with its timeline entry, the period's proration
 * items and the thresholds its limits cross) or pending until the renewal.
 */
async function recordChange(
  tx: Executor,
  change: ChangeContext,
  how: { immediate: boolean; stripe: StripeAnswer | null; charges: ChangeCharge[] },
) {
  const { subscription, from, to, now } = change;
  const organizationId = subscription.organizationId;
  const synced = how.stripe ? { stripeStateAt: how.stripe.at } : {};
  // Monthly to yearly begins a year now (with Stripe, the one Stripe began); otherwise the
  // period stays what it is.
  const newYear =
    to.interval === 'YEAR' && from.interval === 'MONTH'
      ? (how.stripe?.period ?? periodFrom(now, 'YEAR'))
      : null;
  const [row] = await tx
    .update(billingSubscriptions)
    .set(
      how.immediate
        ? {
            planId: to.plan.id,
            interval: to.interval,
            pendingPlanId: null,
            pendingInterval: null,
            ...(newYear
              ? { currentPeriodStart: newYear.start, currentPeriodEnd: newYear.end }
              : {}),
            ...synced,
          }
        : {
            pendingPlanId: to.plan.id,
            pendingInterval: to.interval === from.interval ? null : to.interval,
            ...synced,
          },
    )
    .where(eq(billingSubscriptions.id, subscription.id))
    .returning();
  if (!row) throw new Error('subscription vanished during a plan change');
  if (!how.immediate) return { updated: row, alerts: [] };
  await assignPlan(tx, organizationId, to.plan.id, now, to.interval);
  // The period's invoice carries the charges (with Stripe, as billed already by Stripe).
  if (how.charges.length) {
    await tx.insert(prorationItems).values(
      how.charges.map((charge) => ({
        id: newId('pro'),
        organizationId,
        subscriptionId: subscription.id,
        kind: charge.kind,
        amount: charge.amount,
        currency: to.plan.currency,
        description: charge.description,
        periodStart: calendarMonthOf(now).start,
        effectiveAt: now,
      })),
    );
  }
  return { updated: row, alerts: await fireThresholdsOfNewLimits(tx, organizationId, now) };
}
