import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { InvoiceLine } from '../../billing/invoice.ts';
import { type Money, money } from '../../billing/money.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import { prorate } from '../../billing/proration.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  type BillingSubscriptionRow,
  billingSubscriptions,
  type PlanRow,
  plans,
  prorationItems,
} from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { alertsFired } from '../alerts/alert-dispatch.ts';
import { findPlan } from '../catalog/catalog-queries.ts';
import { draftInvoices } from '../invoicing/invoice-drafts.ts';
import { assignPlan } from '../invoicing/plan-timeline-store.ts';
import { fireThresholdsOfNewLimits, monthTotals } from '../metering/limit-changes.ts';
import { loadOrganizationTerms, type OrganizationTerms } from '../metering/meter-terms-store.ts';
import { hardLimitWarnings } from './limit-warnings.ts';
import { refuseOtherCurrency } from './organization-currency.ts';
import { changePlanInStripe, stripeRunning } from './stripe-plan-change.ts';
import { awaitsProvisioning, provisionInStripe } from './stripe-provisioning.ts';
import { subscriptionChanged } from './subscription-state.ts';

export const planChangeInput = z.object({
  planKey: z.string().min(1).max(64),
  timing: z.enum(['IMMEDIATELY', 'PERIOD_END']),
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
  from: PlanRow;
  to: PlanRow;
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
  const [from] = await ctx.db.select().from(plans).where(eq(plans.id, subscription.planId));
  if (!from) throw new Error(`plan ${subscription.planId} not found`);
  if (from.id === to.id)
    throw ValidationError.forField(['planKey'], `already on the ${to.name} plan`);
  refuseOtherCurrency(from.currency, to, ['planKey']);
  if (subscription.pendingPlanId === to.id && input.timing === 'PERIOD_END') {
    throw ValidationError.forField(
      ['planKey'],
      `the ${to.name} plan is already scheduled for the end of the period`,
    );
  }
  return { subscription, from, to, now: ctx.now() };
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

type ProrationLine = ReturnType<typeof prorationLines>[number];

async function preview(
  ctx: RequestContext,
  change: ChangeContext,
  timing: PlanChangeInput['timing'],
): Promise<{ result: PlanChangePreview; prorations: ProrationLine[] }> {
  const { subscription, from, to, now } = change;
  const immediate = timing === 'IMMEDIATELY';
  // Stripe prorates by the subscription's period; ledger-only, a first partial month is priced
  // by the calendar month's seconds like its base (see priceOfPart).
  const prorationPeriod = ctx.stripe
    ? { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd }
    : calendarMonthOf(now);
  // Stripe does not prorate a trial: the new price simply applies when the trial ends.
  const proration =
    immediate && subscription.status !== 'TRIALING'
      ? prorate({
          oldAmount: from.basePriceAmount,
          newAmount: to.basePriceAmount,
          currency: to.currency,
          periodStart: prorationPeriod.start,
          periodEnd: prorationPeriod.end,
          at: now,
        })
      : null;
  const prorations = proration ? prorationLines(from, to, now, proration) : [];
  const organizationId = subscription.organizationId;
  const month = calendarMonthOf(now);
  const draft = (
    await draftInvoices(ctx.db, [organizationId], month, {
      billedByStripe: ctx.stripe !== null,
      pricedAt: now,
      ...(immediate ? { asIfChanged: { organizationId, planId: to.id, prorations } } : {}),
    })
  ).get(organizationId);
  if (!draft) throw new Error(`organization ${organizationId} has no plan to preview from`);
  const terms = (
    await loadOrganizationTerms(ctx.db, [organizationId], immediate ? { planId: to.id } : {})
  ).get(organizationId) as OrganizationTerms;
  const used = await monthTotals(ctx.db, organizationId, month.start);
  const warnings = hardLimitWarnings(terms, used, to, 'this period');
  return {
    result: {
      from,
      to,
      timing,
      effectiveAt: immediate ? now : subscription.currentPeriodEnd,
      proration: proration?.total ?? money(0, to.currency),
      nextInvoiceTotal: draft.computed.total,
      lineItems: draft.computed.lines,
      warnings,
    },
    prorations,
  };
}

function prorationLines(
  from: PlanRow,
  to: PlanRow,
  at: Date,
  proration: ReturnType<typeof prorate>,
) {
  const after = at.toISOString().slice(0, 16).replace('T', ' ');
  return [
    {
      kind: 'PRORATION' as const,
      description: `Unused time on ${from.name} after ${after} UTC`,
      amount: proration.credit.amount,
    },
    {
      kind: 'PRORATION' as const,
      description: `Remaining time on ${to.name} after ${after} UTC`,
      amount: proration.charge.amount,
    },
  ];
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
  const { result: planPreview, prorations } = await preview(ctx, change, input.timing);
  const immediate = input.timing === 'IMMEDIATELY';
  const stripeAnsweredAt = await changeInStripe(ctx, change, immediate);
  const { updated, alerts } = await ctx.db.transaction((tx) =>
    recordChange(tx, change, { immediate, stripeAnsweredAt, prorations }),
  );
  subscriptionChanged(ctx, updated);
  await alertsFired(ctx, organizationId, alerts);
  ctx.log.info(
    { organizationId, from: change.from.key, to: change.to.key, timing: input.timing },
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

/**
 * With a Stripe subscription, Stripe first: when it refuses, nothing changes here. Answers when
 * Stripe's answer came (what it then said is the newest state), or null without Stripe.
 */
async function changeInStripe(
  ctx: RequestContext,
  change: ChangeContext,
  immediate: boolean,
): Promise<Date | null> {
  const { subscription, from, to, now } = change;
  if (!ctx.stripe || !stripeRunning(subscription)) return null;
  await changePlanInStripe(ctx, ctx.stripe, { subscription, from, to, at: now, immediate });
  return ctx.now();
}

/**
 * The change, in one transaction: the plan now (with its timeline entry, the period's proration
 * items and the thresholds its limits cross) or pending until the renewal.
 */
async function recordChange(
  tx: Executor,
  change: ChangeContext,
  how: { immediate: boolean; stripeAnsweredAt: Date | null; prorations: ProrationLine[] },
) {
  const { subscription, to, now } = change;
  const organizationId = subscription.organizationId;
  const synced = how.stripeAnsweredAt ? { stripeStateAt: how.stripeAnsweredAt } : {};
  const [row] = await tx
    .update(billingSubscriptions)
    .set(
      how.immediate
        ? { planId: to.id, pendingPlanId: null, ...synced }
        : { pendingPlanId: to.id, ...synced },
    )
    .where(eq(billingSubscriptions.id, subscription.id))
    .returning();
  if (!row) throw new Error('subscription vanished during a plan change');
  if (!how.immediate) return { updated: row, alerts: [] };
  await assignPlan(tx, organizationId, to.id, now);
  // The period's invoice carries the proration (with Stripe, as billed already by Stripe).
  if (how.prorations.length) {
    await tx.insert(prorationItems).values(
      how.prorations.map((line) => ({
        id: newId('pro'),
        organizationId,
        subscriptionId: subscription.id,
        amount: line.amount,
        currency: to.currency,
        description: line.description,
        periodStart: calendarMonthOf(now).start,
        effectiveAt: now,
      })),
    );
  }
  return { updated: row, alerts: await fireThresholdsOfNewLimits(tx, organizationId, now) };
}
