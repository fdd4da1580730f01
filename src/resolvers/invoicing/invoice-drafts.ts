import { and, eq, inArray, isNull } from 'drizzle-orm';
import { Decimal } from '../../billing/decimal.ts';
import { type ComputedInvoice, computeInvoice, type InvoiceInput } from '../../billing/invoice.ts';
import type { Period } from '../../billing/period.ts';
import { effectiveQuota } from '../../billing/quota.ts';
import type { Executor } from '../../db/client.ts';
import {
  billingSubscriptions,
  type MeterRow,
  meters,
  type PlanQuotaRow,
  type PlanRow,
  type ProrationItemRow,
  planQuotas,
  plans,
  prorationItems,
  type QuotaOverrideRow,
  quotaOverrides,
  usageTotals,
} from '../../db/schema.ts';
import { groupBy } from '../common/batch-loading.ts';
import { loadPlanTimelines, type PlanTimeline } from './plan-timeline-store.ts';

/** An organization's invoice for a month, computed and not yet stored. */
export interface InvoiceDraft {
  organizationId: string;
  month: Period;
  /** The month, or from the subscription's start when it began during the month. */
  period: Period;
  currency: string;
  computed: ComputedInvoice;
  /** The proration items the invoice carries (marked as taken when it is stored). */
  prorationItemIds: string[];
}

/** The invoice columns a draft decides, for a stored invoice and for the upcoming one alike. */
export function draftFigures(draft: InvoiceDraft) {
  return {
    organizationId: draft.organizationId,
    monthStart: draft.month.start,
    periodStart: draft.period.start,
    periodEnd: draft.period.end,
    currency: draft.currency,
    subtotal: draft.computed.subtotal.amount,
    total: draft.computed.total.amount,
    amountDue: draft.computed.amountDue.amount,
    amountPaid: 0n,
  };
}

export interface DraftOptions {
  /** With Stripe the subscription bills the base and prorations itself (prepaid lines). */
  billedByStripe: boolean;
  /** Usage is priced by the plan in force at this moment (default: the end of the month). */
  pricedAt?: Date;
  /** Organizations priced on another plan version, base and usage alike (a migration preview). */
  onPlan?: ReadonlyMap<string, string>;
  /** A plan change being previewed: usage priced by its plan, and its prorations added. */
  asIfChanged?: {
    organizationId: string;
    planId: string;
    prorations: InvoiceInput['adjustments'];
  };
}

/**
 * The invoices of a month for many organizations in a fixed number of queries: the base of the
 * plan in force at the start of the period (prorated by the second when the subscription began
 * during the month, nothing for days in trial), usage of the month priced by the plan in force
 * at its end with the organization's overrides, and the month's untaken prorations. An
 * organization that had no plan during the month gets no draft.
 */
export async function draftInvoices(
  db: Executor,
  organizationIds: readonly string[],
  month: Period,
  options: DraftOptions,
): Promise<Map<string, InvoiceDraft>> {
  const drafts = new Map<string, InvoiceDraft>();
  if (organizationIds.length === 0) return drafts;
  const ids = [...organizationIds];
  const facts = await loadMonthFacts(db, ids, month);
  const plansOf = plansInForce(ids, facts, month, options);
  const catalog = await loadPlans(db, [
    ...new Set([...plansOf.values()].flatMap((p) => [p.base, p.usage])),
  ]);
  for (const [organizationId, planIds] of plansOf) {
    drafts.set(
      organizationId,
      draftOne({ organizationId, month, options, facts, catalog, planIds }),
    );
  }
  return drafts;
}

/** What the month holds for each organization, read in six queries whatever their number. */
interface MonthFacts {
  timelines: Map<string, PlanTimeline>;
  trialEndOf: Map<string, Date | null>;
  usedOf: Map<string, { meterKey: string; value: string }[]>;
  prorationsOf: Map<string, ProrationItemRow[]>;
  overridesOf: Map<string, QuotaOverrideRow[]>;
  meters: MeterRow[];
}

async function loadMonthFacts(db: Executor, ids: string[], month: Period): Promise<MonthFacts> {
  const [timelines, subscriptions, totals, prorations, overrides, meterRows] = await Promise.all([
    loadPlanTimelines(db, ids, month.end),
    db
      .select({
        organizationId: billingSubscriptions.organizationId,
        trialEnd: billingSubscriptions.trialEnd,
      })
      .from(billingSubscriptions)
      .where(inArray(billingSubscriptions.organizationId, ids)),
    db
      .select({
        organizationId: usageTotals.organizationId,
        meterKey: usageTotals.meterKey,
        value: usageTotals.value,
      })
      .from(usageTotals)
      .where(
        and(inArray(usageTotals.organizationId, ids), eq(usageTotals.periodStart, month.start)),
      ),
    db
      .select()
      .from(prorationItems)
      .where(
        and(
          inArray(prorationItems.organizationId, ids),
          eq(prorationItems.periodStart, month.start),
          isNull(prorationItems.invoiceId),
        ),
      )
      .orderBy(prorationItems.effectiveAt, prorationItems.id),
    db.select().from(quotaOverrides).where(inArray(quotaOverrides.organizationId, ids)),
    db.select().from(meters).orderBy(meters.key),
  ]);
  return {
    timelines,
    trialEndOf: new Map(subscriptions.map((s) => [s.organizationId, s.trialEnd])),
    usedOf: groupBy(totals, (t) => t.organizationId),
    prorationsOf: groupBy(prorations, (p) => p.organizationId),
    overridesOf: groupBy(overrides, (o) => o.organizationId),
    meters: meterRows,
  };
}

/** Per organization with a plan in the month: the plan of its base and the plan of its usage. */
function plansInForce(
  ids: string[],
  facts: MonthFacts,
  month: Period,
  options: DraftOptions,
): Map<string, { base: string; usage: string }> {
  const pricedAt = options.pricedAt ?? new Date(month.end.getTime() - 1);
  const plansOf = new Map<string, { base: string; usage: string }>();
  for (const id of ids) {
    const timeline = facts.timelines.get(id);
    if (!timeline) continue;
    const moved = options.onPlan?.get(id);
    const base = moved ?? timeline.planAt(maxDate(month.start, timeline.startedAt));
    const change = options.asIfChanged?.organizationId === id ? options.asIfChanged : null;
    const usage = moved ?? (change ? change.planId : timeline.planAt(pricedAt));
    if (base && usage) plansOf.set(id, { base, usage });
  }
  return plansOf;
}

interface PlanCatalog {
  planById: Map<string, PlanRow>;
  quotasByPlan: Map<string, PlanQuotaRow[]>;
}

async function loadPlans(db: Executor, planIds: string[]): Promise<PlanCatalog> {
  const [planRows, quotaRows] = planIds.length
    ? await Promise.all([
        db.select().from(plans).where(inArray(plans.id, planIds)),
        db.select().from(planQuotas).where(inArray(planQuotas.planId, planIds)),
      ])
    : [[], []];
  return {
    planById: new Map(planRows.map((p) => [p.id, p])),
    quotasByPlan: groupBy(quotaRows, (q) => q.planId),
  };
}

/** One organization's draft, from what was loaded for all of them. */
function draftOne(input: {
  organizationId: string;
  month: Period;
  options: DraftOptions;
  facts: MonthFacts;
  catalog: PlanCatalog;
  planIds: { base: string; usage: string };
}): InvoiceDraft {
  const { organizationId, month, options, facts, catalog } = input;
  const basePlan = catalog.planById.get(input.planIds.base) as PlanRow;
  const usagePlan = catalog.planById.get(input.planIds.usage) as PlanRow;
  const timeline = facts.timelines.get(organizationId) as PlanTimeline;
  const period = { start: maxDate(month.start, timeline.startedAt), end: month.end };
  // A yearly subscription's base is charged when its year begins (a BASE item), never monthly.
  const billedYearly = timeline.intervalAt(period.start) === 'YEAR';
  // Days in trial bill no base: the base runs from the end of the trial.
  const trialEnd = facts.trialEndOf.get(organizationId);
  const baseStart =
    trialEnd && trialEnd > period.start ? minDate(trialEnd, month.end) : period.start;
  const taken = facts.prorationsOf.get(organizationId) ?? [];
  const computed = computeInvoice({
    currency: basePlan.currency,
    plan: basePlan,
    billedYearly,
    period: { start: baseStart, end: month.end },
    month,
    meters: meteredUsage(facts, catalog, organizationId, usagePlan),
    adjustments: [
      ...taken.map((p) => ({ kind: p.kind, description: p.description, amount: p.amount })),
      ...(options.asIfChanged?.organizationId === organizationId
        ? options.asIfChanged.prorations
        : []),
    ],
    subscriptionBilledByStripe: options.billedByStripe,
  });
  return {
    organizationId,
    month,
    period,
    currency: basePlan.currency,
    computed,
    prorationItemIds: taken.map((p) => p.id),
  };
}

/** Each meter's usage of the month under the usage plan's quotas and the organization's overrides. */
function meteredUsage(
  facts: MonthFacts,
  catalog: PlanCatalog,
  organizationId: string,
  usagePlan: PlanRow,
): InvoiceInput['meters'] {
  const quotas = new Map(
    (catalog.quotasByPlan.get(usagePlan.id) ?? []).map((q) => [q.meterKey, q]),
  );
  const overrides = new Map(
    (facts.overridesOf.get(organizationId) ?? []).map((o) => [o.meterKey, o]),
  );
  const used = new Map(
    (facts.usedOf.get(organizationId) ?? []).map((t) => [t.meterKey, new Decimal(t.value)]),
  );
  return facts.meters.map((meter) => ({
    key: meter.key,
    unit: meter.unit,
    aggregation: meter.aggregation,
    used: used.get(meter.key) ?? new Decimal(0),
    quota: effectiveQuota(quotas.get(meter.key) ?? null, overrides.get(meter.key) ?? null),
  }));
}

const maxDate = (a: Date, b: Date) => (a > b ? a : b);
const minDate = (a: Date, b: Date) => (a < b ? a : b);
