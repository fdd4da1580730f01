import { z } from 'zod';
import type { Progress } from '../resolvers/common/progress.ts';
import { openPeriodsAt, rollupUsage } from '../resolvers/metering/usage-rollup.ts';
import { defineJob, type JobDeps } from './job.ts';

/**
 * Daily at 02:00 UTC: snapshots of yesterday's usage per (organization, meter), and the check
 * that the open periods' stored totals equal their events (repairing any that do not).
 */
export const usageRollupJob = defineJob({
  name: 'usage-rollup',
  cron: '0 2 * * *',
  payload: z.object({
    /** The UTC day to snapshot; yesterday when absent. */
    day: z.iso.date().optional(),
  }),
  handle: (payload, deps) => runUsageRollup(deps, payload.day),
});

export async function runUsageRollup(
  deps: { services: Pick<JobDeps['services'], 'db' | 'config' | 'now'>; log: JobDeps['log'] },
  day?: string,
  progress?: Progress,
) {
  const now = deps.services.now();
  const report = await rollupUsage(deps.services.db, deps.log, {
    day: day ?? new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10),
    openPeriods: openPeriodsAt(now, deps.services.config.usage.graceMs),
    ...(progress ? { progress } : {}),
  });
  deps.log.info(
    {
      day: report.day,
      snapshots: report.snapshots,
      totalsChecked: report.totalsChecked,
      repaired: report.repaired.length,
    },
    'usage rollup done',
  );
  return report;
}
