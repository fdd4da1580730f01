import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import { calendarMonthOf, type Period } from '../../billing/period.ts';
import type { BackgroundServices } from '../../context.ts';
import { databaseReason } from '../../db/database-errors.ts';
import { queryRows } from '../../db/raw.ts';
import { type InvoiceRow, invoices } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Progress } from '../common/progress.ts';
import { announceInvoices } from '../live/announcements.ts';
import { recordRunFailures } from './invoice-run-failures.ts';
import { storeInvoices } from './invoice-store.ts';
import { pushInvoice } from './stripe-invoice-push.ts';

export type InvoiceRunServices = Pick<
  BackgroundServices,
  'db' | 'now' | 'live' | 'stripe' | 'config'
>;

export interface InvoiceRunReport {
  /** YYYY-MM */
  period: string;
  /** Organizations whose month was not closed when the run began. */
  organizations: number;
  /** Invoices stored (made or, while provisional, computed anew). */
  created: number;
  /**
   * False while the period's grace window runs: the invoices are provisional DRAFTs that late
   * usage still goes into, and a run from `closesAt` on makes them final.
   */
  final: boolean;
  /** The end of the grace window: the period's end + USAGE_GRACE_HOURS. */
  closesAt: string;
  /** Invoices finalized in Stripe by this run (with Stripe). */
  pushed: number;
  /**
   * Invoices left DRAFT because Stripe refused or failed (a later run finishes them), and
   * organizations whose invoice could not be stored (no invoiceId).
   */
  failed: { invoiceId: string | null; organizationId: string; error: string }[];
}

const BATCH = 500;

/**
 * The month's invoice run, exactly once per organization however often it runs: every
 * organization that had a plan during the month gets one invoice (computed and stored in
 * batches, each under its organizations' month locks). During the period's grace window the
 * invoices are provisional DRAFTs, computed anew by every run, and late usage still counts; the
 * first run after the window makes them final and closes the month for usage. Then, with Stripe,
 * every final DRAFT of the month is pushed to Stripe and finalized, including those a crashed run
 * left.
 */
export async function runInvoices(
  services: InvoiceRunServices,
  log: Logger,
  options: { month: Period; now: Date; progress?: Progress; concurrency?: number },
): Promise<InvoiceRunReport> {
  const { month, now } = options;
  const period = month.start.toISOString().slice(0, 7);
  if (month.end > now) {
    throw ValidationError.forField(
      ['period'],
      `${period} has not ended yet (it ends ${month.end.toISOString()})`,
    );
  }
  const closesAt = new Date(month.end.getTime() + services.config.usage.graceMs);
  const final = now >= closesAt;
  const organizationIds = await organizationsToInvoice(services, month);
  const report: InvoiceRunReport = {
    period,
    organizations: organizationIds.length,
    created: 0,
    final,
    closesAt: closesAt.toISOString(),
    pushed: 0,
    failed: [],
  };
  const billedByStripe = services.stripe !== null;
  for (let i = 0; i < organizationIds.length; i += BATCH) {
    const { stored, refused } = await storeIsolatingFailures(
      services,
      log,
      organizationIds.slice(i, i + BATCH),
      month,
      { billedByStripe, now, closeUsage: final },
    );
    report.created += stored.length;
    for (const { organizationId, error } of refused) {
      log.error({ organizationId }, `invoice not stored: ${error}`);
      report.failed.push({ invoiceId: null, organizationId, error });
    }
    announceInvoices(services, stored);
    options.progress?.(
      'invoicing',
      Math.min(i + BATCH, organizationIds.length),
      organizationIds.length,
    );
  }
  if (services.stripe && final) await pushFinalDrafts(services, log, month, report, options);
  await recordRunFailures(services.db, period, report.failed, now);
  log.info({ ...report, failed: report.failed.length }, 'invoice run done');
  return report;
}

/**
 * Stores a batch's invoices in one transaction; if that fails, each organization's alone, so
 * that one organization that cannot be invoiced (whatever the reason) is reported and the
 * others are invoiced.
 */
async function storeIsolatingFailures(
  services: InvoiceRunServices,
  log: Logger,
  organizationIds: string[],
  month: Period,
  options: Parameters<typeof storeInvoices>[3],
): Promise<Awaited<ReturnType<typeof storeInvoices>>> {
  try {
    return await storeInvoices(services.db, organizationIds, month, options);
  } catch (error) {
    if (organizationIds.length === 1) {
      const [organizationId] = organizationIds as [string];
      return { stored: [], refused: [{ organizationId, error: databaseReason(error) }] };
    }
    log.warn({ err: error }, 'invoice batch failed: storing its invoices one by one');
  }
  const result: Awaited<ReturnType<typeof storeInvoices>> = { stored: [], refused: [] };
  for (const organizationId of organizationIds) {
    const alone = await storeIsolatingFailures(services, log, [organizationId], month, options);
    result.stored.push(...alone.stored);
    result.refused.push(...alone.refused);
  }
  return result;
}

/** Pushes every final DRAFT of the month to Stripe, counting what went and what failed. */
async function pushFinalDrafts(
  services: InvoiceRunServices,
  log: Logger,
  month: Period,
  report: InvoiceRunReport,
  options: { progress?: Progress; concurrency?: number },
): Promise<void> {
  const drafts = await services.db
    .select()
    .from(invoices)
    .where(
      and(
        eq(invoices.monthStart, month.start),
        eq(invoices.status, 'DRAFT'),
        isNotNull(invoices.usageClosedAt),
      ),
    )
    .orderBy(asc(invoices.id));
  let done = 0;
  await eachConcurrently(drafts, options.concurrency ?? 8, async (invoice: InvoiceRow) => {
    try {
      await pushInvoice(services, log, invoice);
      report.pushed++;
    } catch (error) {
      log.error(
        { invoiceId: invoice.id, organizationId: invoice.organizationId, err: error },
        'invoice not pushed to Stripe',
      );
      report.failed.push({
        invoiceId: invoice.id,
        organizationId: invoice.organizationId,
        error: (error as Error).message,
      });
    }
    options.progress?.('stripe', ++done, drafts.length);
  });
}

/** The month a run on `now` bills: the one that ended last. */
export function monthBefore(now: Date): Period {
  return calendarMonthOf(new Date(calendarMonthOf(now).start.getTime() - 1));
}

/**
 * Organizations that had a plan during the month (not ended before it began) whose month is not
 * closed yet: no invoice, or a provisional one.
 */
async function organizationsToInvoice(
  services: InvoiceRunServices,
  month: Period,
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    services.db,
    sql`select distinct pa.organization_id as id
        from plan_assignments pa
        left join billing_subscriptions s on s.organization_id = pa.organization_id
        where pa.effective_at < ${month.end.toISOString()}::timestamptz
          and not coalesce(s.status = 'CANCELED' and s.canceled_at <= ${month.start.toISOString()}::timestamptz, false)
          and not exists (
            select 1 from invoices i
            where i.organization_id = pa.organization_id
              and i.month_start = ${month.start.toISOString()}::timestamptz
              and i.usage_closed_at is not null)
        order by 1`,
  );
  return rows.map((row) => row.id);
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}
