import { z } from 'zod';
import { parseBillingMonth } from '../billing/period.ts';
import { monthBefore, runInvoices } from '../resolvers/invoicing/invoice-run.ts';
import { defineJob } from './job.ts';

/**
 * On the 1st at 06:00 UTC: the invoices of the month that ended. Inside the grace window they
 * are provisional, and the job queues itself for the window's end, when the run makes them final
 * (and pushes them to Stripe). Invoices Stripe refused or could not take are left DRAFT and the
 * job fails, so pg-boss runs it again (backing off from 5 minutes); every run finishes what
 * earlier ones left and duplicates nothing.
 */
export const invoiceRunJob = defineJob({
  name: 'invoice-run',
  cron: '0 6 1 * *',
  payload: z.object({
    period: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
      .optional(),
  }),
  retry: { limit: 8, delaySeconds: 300 },
  async handle(payload, deps) {
    const now = deps.services.now();
    const month = payload.period ? parseBillingMonth(payload.period) : monthBefore(now);
    if (!month) throw new Error(`bad period ${payload.period}`);
    const report = await runInvoices(deps.services, deps.log, { month, now });
    if (!report.final) {
      const wait = Math.ceil((Date.parse(report.closesAt) - now.getTime()) / 1000) + 1;
      await deps.services.jobs.send(
        'invoice-run',
        { period: report.period },
        { startAfterSeconds: wait },
      );
    }
    if (report.failed.length > 0) {
      throw new Error(
        `${report.failed.length} invoices of ${report.period} are not stored or not in Stripe yet`,
      );
    }
    return report;
  },
});
