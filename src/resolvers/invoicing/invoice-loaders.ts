import DataLoader from 'dataloader';
import { and, asc, desc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  type InvoiceLineItemRow,
  type InvoiceRow,
  type InvoiceStatus,
  invoiceLineItems,
  invoices,
} from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import { byKey, groupBy, groupByKey } from '../common/batch-loading.ts';
import { decodeCursor } from '../common/pagination.ts';

/** An invoice page of one organization: the loader batches the pages of many. */
export interface InvoicePageKey {
  organizationId: string;
  first: number;
  after?: string | null | undefined;
  status?: InvoiceStatus | null | undefined;
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
      return byKey(ids, rows, (row) => row.id);
    }),
    linesByInvoiceId: new DataLoader<string, InvoiceLineItemRow[]>(async (ids) => {
      const rows = await db
        .select()
        .from(invoiceLineItems)
        .where(inArray(invoiceLineItems.invoiceId, [...ids]))
        .orderBy(asc(invoiceLineItems.invoiceId), asc(invoiceLineItems.position));
      return groupByKey(ids, rows, (row) => row.invoiceId);
    }),
    invoicePages: new DataLoader<InvoicePageKey, InvoiceRow[], string>(
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

const pageKey = (key: InvoicePageKey) =>
  `${key.organizationId}|${key.first}|${key.after ?? ''}|${key.status ?? ''}`;

function groupByShape(keys: readonly InvoicePageKey[]): Map<string, InvoicePageKey[]> {
  return groupBy(keys, (key) => `${key.first}|${key.after ?? ''}|${key.status ?? ''}`);
}

/** The first n + 1 invoices after the cursor of each organization, in one query. */
async function invoicePage(db: Database, keys: InvoicePageKey[]): Promise<InvoiceRow[]> {
  const [{ first, after, status }] = keys as [InvoicePageKey];
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
export function invoiceCursor(row: InvoiceRow): string {
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
