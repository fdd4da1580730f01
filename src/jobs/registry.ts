import type { Config } from '../config.ts';
import { alertDeliveryJobs } from './alert-delivery-jobs.ts';
import { entitlementJobs } from './entitlement-jobs.ts';
import { invoiceRunJob } from './invoice-run-job.ts';
import type { JobDefinition } from './job.ts';
import { subscriptionJobs } from './subscription-jobs.ts';
import { usageRollupJob } from './usage-rollup-job.ts';

// biome-ignore lint/suspicious/noExplicitAny: job definitions with different payload types
export type AnyJob = JobDefinition<any>;

/** Every job of the server; retries of deliveries follow the configuration. */
export function jobDefinitions(config: Readonly<Config>): AnyJob[] {
  return [
    usageRollupJob,
    invoiceRunJob,
    ...alertDeliveryJobs(config),
    ...subscriptionJobs,
    ...entitlementJobs,
  ];
}
