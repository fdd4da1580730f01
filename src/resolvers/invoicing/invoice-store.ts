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
 * Computes and stores the month's invoice of every organization given that has none yet, in one
 * transaction under the organizations' month locks (late usage waits, then finds the month
 * closed). Ledger-only, and with nothing to collect, an invoice is finalized at once (OPEN, or
 * PAID when nothing is due); with Stripe it stays DRAFT until Stripe's invoice is finalized.
 * Answers the invoices it stored, and the organizations whose invoice has an amount too large to
 * store (refused alone, so that their neighbours in the batch are invoiced).
 */
export async function storeInvoices(
  db: Database,
  organizationIds: readonly string[],
  month: Period,
  options: { billedByStripe: boolean; now: Date },
): Promise<{ stored: InvoiceRow[]; refused: RefusedInvoice[] }> {
  return db.transaction(async (tx) => {
    await lockMonthsForInvoicing(tx, organizationIds, month.start);
    const existing = await tx
      .select({ organizationId: invoices.organizationId })
      .from(invoices)
      .where(
        and(
          inArray(invoices.organizationId, [...organizationIds]),
          eq(invoices.monthStart, month.start),
        ),
      );
    const invoiced = new Set(existing.map((row) => row.organizationId));
    const todo = organizationIds.filter((id) => !invoiced.has(id));
    const drafts = await draftInvoices(tx, todo, month, { billedByStripe: options.billedByStripe });
    const refused = refuseUnstorable(drafts);
    if (drafts.size === 0) return { stored: [], refused };

    const invoiceRows: NewInvoice[] = [];
    const lineRows: InvoiceLineItemRow[] = [];
    const taken: { prorationId: string; invoiceId: string }[] = [];
    for (const draft of drafts.values()) {
      const id = newId('inv');
      const due = draft.computed.amountDue.amount;
      const finalized = !options.billedByStripe || due === 0n;
      invoiceRows.push({
        ...draftFigures(draft),
        id,
        status: !finalized ? 'DRAFT' : due === 0n ? 'PAID' : 'OPEN',
        finalizedAt: finalized ? options.now : null,
        paidAt: finalized && due === 0n ? options.now : null,
      });
      draft.computed.lines.forEach((line, position) => {
        lineRows.push({
          id: newId('il'),
          invoiceId: id,
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
        });
      });
      for (const prorationId of draft.prorationItemIds) taken.push({ prorationId, invoiceId: id });
    }
    await insertInvoices(tx, invoiceRows, options.now);
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
  Pick<InvoiceRow, 'id' | 'status' | 'finalizedAt' | 'paidAt'>;

/*
 * Rows go in as one unnest of array columns (one parameter per column, whatever the number of
 * rows): drizzle's multi-row insert builder costs more CPU than the rest of the invoice run.
 */
async function insertInvoices(tx: Executor, rows: NewInvoice[], now: Date): Promise<void> {
  const column = (value: (row: NewInvoice) => string | number | bigint | Date | null) =>
    toPgArray(rows.map((row) => text(value(row))));
  await tx.execute(sql`
    insert into ${invoices} (id, organization_id, number, status, month_start, period_start, period_end,
      currency, subtotal, total, amount_due, amount_paid, finalized_at, paid_at, created_at, updated_at)
    select t.id, t.organization_id,
           case when t.finalized_at is null then null else ${nextInvoiceNumber} end,
           t.status::invoice_status, t.month_start::timestamptz, t.period_start::timestamptz,
           t.period_end::timestamptz, t.currency, t.subtotal::bigint, t.total::bigint,
           t.amount_due::bigint, t.amount_paid::bigint, t.finalized_at::timestamptz,
           t.paid_at::timestamptz, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
    from unnest(
      ${column((r) => r.id)}::text[], ${column((r) => r.organizationId)}::text[],
      ${column((r) => r.status)}::text[], ${column((r) => r.monthStart)}::text[],
      ${column((r) => r.periodStart)}::text[], ${column((r) => r.periodEnd)}::text[],
      ${column((r) => r.currency)}::text[], ${column((r) => r.subtotal)}::text[],
      ${column((r) => r.total)}::text[], ${column((r) => r.amountDue)}::text[],
      ${column((r) => r.amountPaid)}::text[], ${column((r) => r.finalizedAt)}::text[],
      ${column((r) => r.paidAt)}::text[]
    ) with ordinality as t(id, organization_id, status, month_start, period_start, period_end,
      currency, subtotal, total, amount_due, amount_paid, finalized_at, paid_at, n)
    order by t.n`);
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
