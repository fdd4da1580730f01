import { z } from 'zod';
import { announceEntitlements } from '../resolvers/live/announcements.ts';
import { defineJob } from './job.ts';

/**
 * Entitlements: an override that lapses changes an organization's entitlements by itself, with
 * nobody writing anything; this job, queued for that moment, tells the live subscribers and
 * every instance's cache.
 */
export const entitlementJobs = [
  defineJob({
    name: 'entitlement-override-lapse',
    payload: z.object({ organizationId: z.string().min(1) }),
    retry: { limit: 3, delaySeconds: 5 },
    handle: async ({ organizationId }, deps) => {
      announceEntitlements(deps.services, organizationId);
      deps.log.info({ organizationId }, 'feature override lapsed');
    },
  }),
];
