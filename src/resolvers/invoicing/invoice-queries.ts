import { z } from 'zod';
import { Decimal } from '../../billing/decimal.ts';
import type { InvoiceLine } from '../../billing/invoice.ts';
import { money } from '../../billing/money.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import type { RequestContext } from '../../context.ts';
import { type InvoiceRow, invoiceStatus } from '../../db/schema.ts';
import { NotFoundError } from '../../errors.ts';
import { type Connection, pageArgsSchema, toConnection } from '../common/pagination.ts';
import { draftFigures, draftInvoices } from './invoice-drafts.ts';
import { invoiceCursor } from './invoice-loaders.ts';

/** An invoice as GraphQL shows it: stored, or computed on the fly (upcomingInvoice, its lines). */
export type InvoiceView = InvoiceRow & { computedLines?: InvoiceLine[] };

export const invoiceListArgs = pageArgsSchema.extend({
  status: z.enum(invoiceStatus.enumValues).nullish(),
});
export type InvoiceListArgs = z.infer<typeof invoiceListArgs>;

/** An organization's invoices, newest period first. */
export async function listInvoices(
  ctx: RequestContext,
  organizationId: string,
  args: InvoiceListArgs,
): Promise<Connection<InvoiceRow>> {
  const rows = await ctx.loaders.invoicePages.load({ organizationId, ...args });
  return toConnection(rows, args, invoiceCursor);
}

/** One invoice of the caller's organization (any, for ADMIN); another's is not found. */
export async function findInvoice(ctx: RequestContext, id: string): Promise<InvoiceRow> {
  const row = await ctx.loaders.invoiceById.load(id);
  const principal = ctx.principal;
  const visible =
    row && (principal?.role === 'ADMIN' || principal?.organizationId === row.organizationId);
  if (!row || !visible) throw new NotFoundError('Invoice');
  return row;
}

/** The invoice the current month would produce if it ended now: computed, never stored. */
export async function upcomingInvoice(
  ctx: RequestContext,
  organizationId: string,
): Promise<InvoiceView | null> {
  const now = ctx.now();
  const month = calendarMonthOf(now);
  const draft = (
    await draftInvoices(ctx.db, [organizationId], month, {
      billedByStripe: ctx.stripe !== null,
      pricedAt: now,
    })
  ).get(organizationId);
  if (!draft) return null;
  return {
    ...draftFigures(draft),
    id: `upcoming_${organizationId}_${month.start.toISOString().slice(0, 7)}`,
    number: null,
    status: 'DRAFT',
    stripeInvoiceId: null,
    hostedInvoiceUrl: null,
    stripePushStartedAt: null,
    stripeStateAt: null,
    failedPaymentAttempts: 0,
    finalizedAt: null,
    paidAt: null,
    usageClosedAt: null,
    createdAt: now,
    updatedAt: now,
    computedLines: draft.computed.lines,
  };
}

/** The lines of an invoice, as the billing code writes them. */
export async function invoiceLines(
  ctx: RequestContext,
  invoice: InvoiceView,
): Promise<InvoiceLine[]> {
  if (invoice.computedLines) return invoice.computedLines;
  const rows = await ctx.loaders.linesByInvoiceId.load(invoice.id);
  return rows.map((row) => ({
    kind: row.kind,
    description: row.description,
    meterKey: row.meterKey,
    used: decimalOrNull(row.used),
    included: decimalOrNull(row.included),
    excess: decimalOrNull(row.excess),
    unitPrice: decimalOrNull(row.unitPrice),
    rateDescription: row.rateDescription,
    amount: money(row.amount, invoice.currency),
    prepaid: row.prepaid,
  }));
}

const decimalOrNull = (value: string | null) => (value === null ? null : new Decimal(value));
