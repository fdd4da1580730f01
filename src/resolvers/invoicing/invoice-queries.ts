import DataLoader from 'dataloader';
import { and, asc, desc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { Decimal } from '../../billing/decimal.ts';
import type { InvoiceLine } from '../../billing/invoice.ts';
import { money } from '../../billing/money.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import type { RequestContext } from '../../context.ts';
import type { Database } from '../../db/client.ts';
import {
  type InvoiceLineItemRow,
  type InvoiceRow,
  invoiceLineItems,
  invoiceStatus,
  invoices,
} from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import {
  type Connection,
  decodeCursor,
  pageArgsSchema,
  toConnection,
} from '../shared/pagination.ts';
import { draftFigures, draftInvoices } from './invoice-drafts.ts';

/** An invoice as GraphQL shows it: stored, or computed on the fly (upcomingInvoice, its lines). */
export type InvoiceView = InvoiceRow & { computedLines?: InvoiceLine[] };

export const invoiceListArgs = pageArgsSchema.extend({
  status: z.enum(invoiceStatus.enumValues).nullish(),
});
export type InvoiceListArgs = z.infer<typeof invoiceListArgs>;

/** An invoice page of one organization: the loader batches the pages of many. */
interface PageKey extends InvoiceListArgs {
  organizationId: string;
}

/**
 * Invoice loaders: pages of many organizations' invoices in one query (newest period first, the
 * first n of each by a window), their lines in one more, invoices by id in one.
 */
export function invoiceLoaders(db: Database) {
  return {
    invoiceById: new DataLoader<string, InvoiceRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(invoices)
        .where(inArray(invoices.id, [...ids]));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    linesByInvoiceId: new DataLoader<string, InvoiceLineItemRow[]>(async (ids) => {
      const rows = await db
        .select()
        .from(invoiceLineItems)
        .where(inArray(invoiceLineItems.invoiceId, [...ids]))
        .orderBy(asc(invoiceLineItems.invoiceId), asc(invoiceLineItems.position));
      const byInvoice = new Map<string, InvoiceLineItemRow[]>();
      for (const row of rows) {
        const lines = byInvoice.get(row.invoiceId);
        if (lines) lines.push(row);
        else byInvoice.set(row.invoiceId, [row]);
      }
      return ids.map((id) => byInvoice.get(id) ?? []);
    }),
    invoicePages: new DataLoader<PageKey, InvoiceRow[], string>(
      async (keys) => {
        // Keys differ in their organization only, in practice (one field, many parents).
        const pages = new Map<string, InvoiceRow[]>();
        for (const group of groupByShape(keys).values()) {
          const rows = await invoicePage(db, group);
          for (const key of group) {
            pages.set(
              pageKey(key),
              rows.filter((row) => row.organizationId === key.organizationId),
            );
          }
        }
        return keys.map((key) => pages.get(pageKey(key)) ?? []);
      },
      { cacheKeyFn: pageKey },
    ),
  };
}

const pageKey = (key: PageKey) =>
  `${key.organizationId}|${key.first}|${key.after ?? ''}|${key.status ?? ''}`;

function groupByShape(keys: readonly PageKey[]): Map<string, PageKey[]> {
  const groups = new Map<string, PageKey[]>();
  for (const key of keys) {
    const shape = `${key.first}|${key.after ?? ''}|${key.status ?? ''}`;
    const group = groups.get(shape);
    if (group) group.push(key);
    else groups.set(shape, [key]);
  }
  return groups;
}

/** The first n + 1 invoices after the cursor of each organization, in one query. */
async function invoicePage(db: Database, keys: PageKey[]): Promise<InvoiceRow[]> {
  const [{ first, after, status }] = keys as [PageKey];
  const cursor = after ? decodeInvoiceCursor(after) : null;
  const ranked = db
    .select({
      id: invoices.id,
      rank: sql<number>`row_number() over (partition by ${invoices.organizationId} order by ${invoices.monthStart} desc, ${invoices.id} desc)`.as(
        'rank',
      ),
    })
    .from(invoices)
    .where(
      and(
        inArray(
          invoices.organizationId,
          keys.map((k) => k.organizationId),
        ),
        status ? eq(invoices.status, status) : undefined,
        cursor
          ? or(
              sql`${invoices.monthStart} < ${cursor.monthStart.toISOString()}::timestamptz`,
              and(eq(invoices.monthStart, cursor.monthStart), sql`${invoices.id} < ${cursor.id}`),
            )
          : undefined,
      ),
    )
    .as('ranked');
  return db
    .select({ invoice: invoices })
    .from(ranked)
    .innerJoin(invoices, eq(invoices.id, ranked.id))
    .where(lte(ranked.rank, first + 1))
    .orderBy(desc(invoices.monthStart), desc(invoices.id))
    .then((rows) => rows.map((row) => row.invoice));
}

/** Invoices page by (period, id): the cursor carries both. */
function invoiceCursor(row: InvoiceRow): string {
  return `${row.monthStart.toISOString()}~${row.id}`;
}

function decodeInvoiceCursor(after: string): { monthStart: Date; id: string } {
  const [month, id] = decodeCursor(after).split('~');
  const monthStart = new Date(month ?? '');
  if (!id || Number.isNaN(monthStart.getTime())) {
    throw ValidationError.forField(['after'], 'is not a cursor returned by this API');
  }
  return { monthStart, id };
}

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
