import { and, eq, inArray, sql } from 'drizzle-orm';
import { formatDecimal } from '../../billing/decimal.ts';
import { isStorableAmount } from '../../billing/money.ts';
import type { Period } from '../../billing/period.ts';
import type { Database, Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { toPgArray } from '../../db/pg-array.ts';
import {
  type InvoiceLineItemRow,
  type InvoiceRow,
  invoiceLineItems,
  invoices,
  prorationItems,
} from '../../db/schema.ts';
import { lockMonthsForInvoicing } from '../metering/closed-periods-store.ts';
import { draftFigures, draftInvoices, type InvoiceDraft } from './invoice-drafts.ts';

/** The next invoice number, drawn when an invoice is finalized: INV-000042. */
export const nextInvoiceNumber = sql<string>`'INV-' || lpad(nextval('invoice_numbers')::text, 6, '0')`;

/**
 * Computes and stores the month's invoice of every organization given whose month is not closed,
 * in one transaction under the organizations' month locks (late usage waits for it).
 *
 * Before the period's grace window has passed (`closeUsage` false) the invoices are provisional
 * DRAFTs: late usage still goes into the month, and each later call recomputes them in place
 * (same id, lines and prorations taken anew). Once it has passed (`closeUsage` true) the last
 * computation closes the month for usage: ledger-only, or with nothing to collect, the invoice
 * is finalized at once (OPEN, or PAID when nothing is due); with Stripe it stays DRAFT until
 * Stripe's invoice is finalized. Answers the invoices it stored, and the organizations whose
 * invoice has an amount too large to store (refused alone, so that their neighbours are invoiced).
 */
export async function storeInvoices(
  db: Database,
  organizationIds: readonly string[],
  month: Period,
  options: { billedByStripe: boolean; now: Date; closeUsage: boolean },
): Promise<{ stored: InvoiceRow[]; refused: RefusedInvoice[] }> {
  return db.transaction(async (tx) => {
    await lockMonthsForInvoicing(tx, organizationIds, month.start);
    const { closed, provisional } = await invoicesOfMonth(tx, organizationIds, month);
    await reopenProvisional(tx, [...provisional.values()]);
    const todo = organizationIds.filter((id) => !closed.has(id));
    const drafts = await draftInvoices(tx, todo, month, { billedByStripe: options.billedByStripe });
    const refused = refuseUnstorable(drafts);
    // A provisional invoice whose organization has no invoice any more (or one too large).
    const orphans = [...provisional].filter(([org]) => !drafts.has(org)).map(([, id]) => id);
    if (orphans.length > 0) await tx.delete(invoices).where(inArray(invoices.id, orphans));
    if (drafts.size === 0) return { stored: [], refused };

    const invoiceRows: NewInvoice[] = [];
    const lineRows: InvoiceLineItemRow[] = [];
    const taken: { prorationId: string; invoiceId: string }[] = [];
    for (const draft of drafts.values()) {
      const id = provisional.get(draft.organizationId) ?? newId('inv');
      invoiceRows.push(invoiceRow(id, draft, options));
      lineRows.push(...lineRowsOf(id, draft));
      for (const prorationId of draft.prorationItemIds) taken.push({ prorationId, invoiceId: id });
    }
    await upsertInvoices(tx, invoiceRows, options.now);
    await insertLines(tx, lineRows);
    await markProrationsTaken(tx, taken);
    const stored = await tx
      .select()
      .from(invoices)
      .where(sql`${invoices.id} = any(${toPgArray(invoiceRows.map((row) => row.id))}::text[])`)
      .orderBy(invoices.id);
    return { stored, refused };
  });
}

/** The month's invoices of the organizations: closed ones, and provisional ones by organization. */
async function invoicesOfMonth(tx: Executor, organizationIds: readonly string[], month: Period) {
  const existing = await tx
    .select({
      id: invoices.id,
      organizationId: invoices.organizationId,
      usageClosedAt: invoices.usageClosedAt,
    })
    .from(invoices)
    .where(
      and(
        inArray(invoices.organizationId, [...organizationIds]),
        eq(invoices.monthStart, month.start),
      ),
    );
  const closed = new Set(existing.filter((row) => row.usageClosedAt).map((r) => r.organizationId));
  const provisional = new Map(
    existing.filter((row) => !row.usageClosedAt).map((row) => [row.organizationId, row.id]),
  );
  return { closed, provisional };
}

/** Gives a provisional invoice's prorations back and drops its lines, to be computed anew. */
async function reopenProvisional(tx: Executor, invoiceIds: string[]): Promise<void> {
  if (invoiceIds.length === 0) return;
  await tx
    .update(prorationItems)
    .set({ invoiceId: null })
    .where(inArray(prorationItems.invoiceId, invoiceIds));
  await tx.delete(invoiceLineItems).where(inArray(invoiceLineItems.invoiceId, invoiceIds));
}

function invoiceRow(
  id: string,
  draft: InvoiceDraft,
  options: { billedByStripe: boolean; now: Date; closeUsage: boolean },
): NewInvoice {
  const due = draft.computed.amountDue.amount;
  const finalized = options.closeUsage && (!options.billedByStripe || due === 0n);
  return {
    ...draftFigures(draft),
    id,
    status: !finalized ? 'DRAFT' : due === 0n ? 'PAID' : 'OPEN',
    finalizedAt: finalized ? options.now : null,
    paidAt: finalized && due === 0n ? options.now : null,
    usageClosedAt: options.closeUsage ? options.now : null,
  };
}

function lineRowsOf(invoiceId: string, draft: InvoiceDraft): InvoiceLineItemRow[] {
  return draft.computed.lines.map((line, position) => ({
    id: newId('il'),
    invoiceId,
    position,
    kind: line.kind,
    description: line.description,
    meterKey: line.meterKey,
    used: decimalOrNull(line.used),
    included: decimalOrNull(line.included),
    excess: decimalOrNull(line.excess),
    unitPrice: decimalOrNull(line.unitPrice),
    rateDescription: line.rateDescription,
    amount: line.amount.amount,
    prepaid: line.prepaid,
    stripeInvoiceItemId: null,
  }));
}

export interface RefusedInvoice {
  organizationId: string;
  error: string;
}

/** Takes out of `drafts` those with an amount beyond a bigint column, and says why. */
function refuseUnstorable(drafts: Map<string, InvoiceDraft>): RefusedInvoice[] {
  const refused: RefusedInvoice[] = [];
  for (const [organizationId, draft] of drafts) {
    const { subtotal, total, amountDue, lines } = draft.computed;
    const amounts = [subtotal, total, amountDue, ...lines.map((line) => line.amount)];
    const tooLarge = amounts.find((value) => !isStorableAmount(value.amount));
    if (tooLarge) {
      drafts.delete(organizationId);
      refused.push({
        organizationId,
        error: `an amount of ${tooLarge.amount} minor units is more than an invoice can hold (a signed 64-bit integer)`,
      });
    }
  }
  return refused;
}

type NewInvoice = ReturnType<typeof draftFigures> &
  Pick<InvoiceRow, 'id' | 'status' | 'finalizedAt' | 'paidAt' | 'usageClosedAt'>;

/*
 * Rows go in as one unnest of array columns (one parameter per column, whatever the number of
 * rows): drizzle's multi-row insert builder costs more CPU than the rest of the invoice run. A
 * provisional invoice computed anew keeps its id and its creation time.
 */
async function upsertInvoices(tx: Executor, rows: NewInvoice[], now: Date): Promise<void> {
  const column = (value: (row: NewInvoice) => string | number | bigint | Date | null) =>
    toPgArray(rows.map((row) => text(value(row))));
  await tx.execute(sql`
    insert into ${invoices} (id, organization_id, number, status, month_start, period_start, period_end,
      currency, subtotal, total, amount_due, amount_paid, finalized_at, paid_at, usage_closed_at,
      created_at, updated_at)
    select t.id, t.organization_id,
           case when t.finalized_at is null then null else ${nextInvoiceNumber} end,
           t.status::invoice_status, t.month_start::timestamptz, t.period_start::timestamptz,
           t.period_end::timestamptz, t.currency, t.subtotal::bigint, t.total::bigint,
           t.amount_due::bigint, t.amount_paid::bigint, t.finalized_at::timestamptz,
           t.paid_at::timestamptz, t.usage_closed_at::timestamptz,
           ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
    from unnest(
      ${column((r) => r.id)}::text[], ${column((r) => r.organizationId)}::text[],
      ${column((r) => r.status)}::text[], ${column((r) => r.monthStart)}::text[],
      ${column((r) => r.periodStart)}::text[], ${column((r) => r.periodEnd)}::text[],
      ${column((r) => r.currency)}::text[], ${column((r) => r.subtotal)}::text[],
      ${column((r) => r.total)}::text[], ${column((r) => r.amountDue)}::text[],
      ${column((r) => r.amountPaid)}::text[], ${column((r) => r.finalizedAt)}::text[],
      ${column((r) => r.paidAt)}::text[], ${column((r) => r.usageClosedAt)}::text[]
    ) with ordinality as t(id, organization_id, status, month_start, period_start, period_end,
      currency, subtotal, total, amount_due, amount_paid, finalized_at, paid_at, usage_closed_at, n)
    order by t.n
    on conflict (id) do update set
      number = excluded.number, status = excluded.status, period_start = excluded.period_start,
      period_end = excluded.period_end, currency = excluded.currency,
      subtotal = excluded.subtotal, total = excluded.total, amount_due = excluded.amount_due,
      finalized_at = excluded.finalized_at, paid_at = excluded.paid_at,
      usage_closed_at = excluded.usage_closed_at, updated_at = excluded.updated_at`);
}

async function insertLines(tx: Executor, rows: InvoiceLineItemRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = (value: (row: InvoiceLineItemRow) => string | number | bigint | boolean | null) =>
    toPgArray(rows.map((row) => text(value(row))));
  await tx.execute(sql`
    insert into ${invoiceLineItems} (id, invoice_id, position, kind, description, meter_key, used,
      included, excess, unit_price, rate_description, amount, prepaid)
    select t.id, t.invoice_id, t.position::integer, t.kind::line_item_kind, t.description, t.meter_key,
           t.used::numeric, t.included::numeric, t.excess::numeric, t.unit_price::numeric,
           t.rate_description, t.amount::bigint, t.prepaid::boolean
    from unnest(
      ${column((r) => r.id)}::text[], ${column((r) => r.invoiceId)}::text[],
      ${column((r) => r.position)}::text[], ${column((r) => r.kind)}::text[],
      ${column((r) => r.description)}::text[], ${column((r) => r.meterKey)}::text[],
      ${column((r) => r.used)}::text[], ${column((r) => r.included)}::text[],
      ${column((r) => r.excess)}::text[], ${column((r) => r.unitPrice)}::text[],
      ${column((r) => r.rateDescription)}::text[], ${column((r) => r.amount)}::text[],
      ${column((r) => r.prepaid)}::text[]
    ) as t(id, invoice_id, position, kind, description, meter_key, used, included, excess,
      unit_price, rate_description, amount, prepaid)`);
}

/** A column value as Postgres reads it back from text. */
function text(value: string | number | bigint | boolean | Date | null): string | null {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : String(value);
}

async function markProrationsTaken(
  tx: Executor,
  taken: { prorationId: string; invoiceId: string }[],
): Promise<void> {
  if (taken.length === 0) return;
  await tx.execute(sql`
    update ${prorationItems} set invoice_id = t.invoice_id
    from unnest(${toPgArray(taken.map((t) => t.prorationId))}::text[],
                ${toPgArray(taken.map((t) => t.invoiceId))}::text[]) as t(id, invoice_id)
    where ${prorationItems.id} = t.id`);
}

function decimalOrNull(value: Parameters<typeof formatDecimal>[0] | null): string | null {
  return value === null ? null : formatDecimal(value);
}
