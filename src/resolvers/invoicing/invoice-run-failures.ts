import { desc, eq } from 'drizzle-orm';
import type { RequestContext } from '../../context.ts';
import type { Database } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type InvoiceRunFailureRow, invoiceRunFailures } from '../../db/schema.ts';

/** Keeps what a run could not do, for the operator to see (and the job's retries to fix). */
export async function recordRunFailures(
  db: Database,
  period: string,
  failed: readonly { invoiceId: string | null; organizationId: string; error: string }[],
  now: Date,
): Promise<void> {
  if (failed.length === 0) return;
  await db.insert(invoiceRunFailures).values(
    failed.map((failure) => ({
      id: newId('irf'),
      period,
      organizationId: failure.organizationId,
      invoiceId: failure.invoiceId,
      error: failure.error,
      failedAt: now,
    })),
  );
}

/** The newest failures of invoice runs (of one period when given), at most 100. */
export function listRunFailures(
  ctx: RequestContext,
  period: string | null,
): Promise<InvoiceRunFailureRow[]> {
  return ctx.db
    .select()
    .from(invoiceRunFailures)
    .where(period ? eq(invoiceRunFailures.period, period) : undefined)
    .orderBy(desc(invoiceRunFailures.failedAt), desc(invoiceRunFailures.id))
    .limit(100);
}
