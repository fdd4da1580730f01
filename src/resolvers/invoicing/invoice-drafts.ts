import { and, eq, inArray, isNull } from 'drizzle-orm';
import { Decimal } from '../../billing/decimal.ts';
import { type ComputedInvoice, computeInvoice, type InvoiceInput } from '../../billing/invoice.ts';
import type { Period } from '../../billing/period.ts';
import { effectiveQuota } from '../../billing/quota.ts';
import type { Executor } from '../../db/client.ts';
import {
  billingSubscriptions,
  meters,
  type PlanQuotaRow,
  type PlanRow,
  planQuotas,
  plans,
  prorationItems,
  quotaOverrides,
  usageTotals,
} from '../../db/schema.ts';
import { loadPlanTimelines } from './plan-timeline-store.ts';

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
    amountPaid: 0,
  };
}

export interface DraftOptions {
  /** With Stripe the subscription bills the base and prorations itself (prepaid lines). */
  billedByStripe: boolean;
  /** Usage is priced by the plan in force at this moment (default: the end of the month). */
  pricedAt?: Date;
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
  const pricedAt = options.pricedAt ?? new Date(month.end.getTime() - 1);
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

  const planFor = new Map<string, { base: string; usage: string }>();
  for (const id of ids) {
    const timeline = timelines.get(id);
    if (!timeline) continue;
    const base = timeline.planAt(maxDate(month.start, timeline.startedAt));
    const change = options.asIfChanged?.organizationId === id ? options.asIfChanged : null;
    const usage = change ? change.planId : timeline.planAt(pricedAt);
    if (base && usage) planFor.set(id, { base, usage });
  }
  const planIds = [...new Set([...planFor.values()].flatMap((p) => [p.base, p.usage]))];
  const [planRows, quotaRows] = planIds.length
    ? await Promise.all([
        db.select().from(plans).where(inArray(plans.id, planIds)),
        db.select().from(planQuotas).where(inArray(planQuotas.planId, planIds)),
      ])
    : [[], []];
  const planById = new Map(planRows.map((p) => [p.id, p]));
  const quotasByPlan = groupBy(quotaRows, (q) => q.planId);
  const trialEndOf = new Map(subscriptions.map((s) => [s.organizationId, s.trialEnd]));
  const usedOf = groupBy(totals, (t) => t.organizationId);
  const prorationsOf = groupBy(prorations, (p) => p.organizationId);
  const overridesOf = groupBy(overrides, (o) => o.organizationId);

  for (const [organizationId, planIdsOf] of planFor) {
    const basePlan = planById.get(planIdsOf.base) as PlanRow;
    const usagePlan = planById.get(planIdsOf.usage) as PlanRow;
    const startedAt = timelines.get(organizationId)?.startedAt as Date;
    const period = { start: maxDate(month.start, startedAt), end: month.end };
    // Days in trial bill no base: the base runs from the end of the trial.
    const trialEnd = trialEndOf.get(organizationId);
    const baseStart =
      trialEnd && trialEnd > period.start ? minDate(trialEnd, month.end) : period.start;
    const quotas = new Map(
      (quotasByPlan.get(usagePlan.id) ?? []).map((q: PlanQuotaRow) => [q.meterKey, q]),
    );
    const ownOverrides = new Map(
      (overridesOf.get(organizationId) ?? []).map((o) => [o.meterKey, o]),
    );
    const used = new Map(
      (usedOf.get(organizationId) ?? []).map((t) => [t.meterKey, new Decimal(t.value)]),
    );
    const taken = prorationsOf.get(organizationId) ?? [];
    const computed = computeInvoice({
      currency: basePlan.currency,
      plan: basePlan,
      period: { start: baseStart, end: month.end },
      month,
      meters: meterRows.map((meter) => ({
        key: meter.key,
        unit: meter.unit,
        aggregation: meter.aggregation,
        used: used.get(meter.key) ?? new Decimal(0),
        quota: effectiveQuota(quotas.get(meter.key) ?? null, ownOverrides.get(meter.key) ?? null),
      })),
      adjustments: [
        ...taken.map((p) => ({
          kind: 'PRORATION' as const,
          description: p.description,
          amount: p.amount,
        })),
        ...(options.asIfChanged?.organizationId === organizationId
          ? options.asIfChanged.prorations
          : []),
      ],
      subscriptionBilledByStripe: options.billedByStripe,
    });
    drafts.set(organizationId, {
      organizationId,
      month,
      period,
      currency: basePlan.currency,
      computed,
      prorationItemIds: taken.map((p) => p.id),
    });
  }
  return drafts;
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const maxDate = (a: Date, b: Date) => (a > b ? a : b);
const minDate = (a: Date, b: Date) => (a < b ? a : b);
