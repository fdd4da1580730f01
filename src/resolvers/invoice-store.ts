import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { formatDecimal } from '../billing/decimal.ts';
import type { Period } from '../billing/period.ts';
import type { Database, Executor } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { toPgArray } from '../db/pg-array.ts';
import {
  type InvoiceLineItemRow,
  type InvoiceRow,
  invoiceLineItems,
  invoices,
  prorationItems,
} from '../db/schema.ts';
import { draftInvoices } from './invoice-drafts.ts';
import { lockMonthsForInvoicing } from './invoiced-periods.ts';

/** The next invoice number, drawn when an invoice is finalized: INV-000042. */
export const nextInvoiceNumber = sql<string>`'INV-' || lpad(nextval('invoice_numbers')::text, 6, '0')`;

/**
 * Computes and stores the month's invoice of every organization given that has none yet, in one
 * transaction under the organizations' month locks (late usage waits, then finds the month
 * closed). Ledger-only, and with nothing to collect, an invoice is finalized at once (OPEN, or
 * PAID when nothing is due); with Stripe it stays DRAFT until Stripe's invoice is finalized.
 * Answers the invoices it stored.
 */
export async function storeInvoices(
  db: Database,
  organizationIds: readonly string[],
  month: Period,
  options: { billedByStripe: boolean; now: Date },
): Promise<InvoiceRow[]> {
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
    if (drafts.size === 0) return [];

    const invoiceValues: (Omit<typeof invoices.$inferInsert, 'number'> & { number: SQL | null })[] =
      [];
    const lineValues: InvoiceLineItemRow[] = [];
    const taken: { prorationId: string; invoiceId: string }[] = [];
    for (const draft of drafts.values()) {
      const id = newId('inv');
      const due = draft.computed.amountDue.amount;
      const finalized = !options.billedByStripe || due === 0;
      invoiceValues.push({
        id,
        organizationId: draft.organizationId,
        number: finalized ? nextInvoiceNumber : null,
        status: !finalized ? 'DRAFT' : due === 0 ? 'PAID' : 'OPEN',
        monthStart: month.start,
        periodStart: draft.period.start,
        periodEnd: draft.period.end,
        currency: draft.currency,
        subtotal: draft.computed.subtotal.amount,
        total: draft.computed.total.amount,
        amountDue: due,
        amountPaid: 0,
        finalizedAt: finalized ? options.now : null,
        paidAt: finalized && due === 0 ? options.now : null,
        createdAt: options.now,
      });
      draft.computed.lines.forEach((line, position) => {
        lineValues.push({
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
    const stored = await tx.insert(invoices).values(invoiceValues).returning();
    for (let i = 0; i < lineValues.length; i += 1000) {
      await tx.insert(invoiceLineItems).values(lineValues.slice(i, i + 1000));
    }
    await markProrationsTaken(tx, taken);
    return stored;
  });
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
