import { z } from 'zod';
import { processStripeEvent, sweepStripeEvents } from '../resolvers/collection/stripe-events.ts';
import { provisionInStripe } from '../resolvers/subscriptions/stripe-provisioning.ts';
import { reconcileWithStripe } from '../resolvers/subscriptions/stripe-reconciliation.ts';
import { renewLedgerSubscriptions } from '../resolvers/subscriptions/subscription-state.ts';
import { defineJob } from './job.ts';

/** Subscriptions: Stripe's events and provisioning, reconciliation, and the ledger's renewals. */
export const subscriptionJobs = [
  defineJob({
    name: 'stripe-event',
    payload: z.object({ eventId: z.string().min(1) }),
    retry: { limit: 5, delaySeconds: 10 },
    // The webhook and the sweeper may both queue an event: one queued job is enough.
    dedupeKey: ({ eventId }) => eventId,
    handle: ({ eventId }, deps) => processStripeEvent(deps.services, deps.log, eventId),
  }),
  defineJob({
    name: 'stripe-event-sweep',
    cron: '* * * * *',
    payload: z.object({}),
    handle: (_payload, deps) => sweepStripeEvents(deps.services, deps.log),
  }),
  defineJob({
    name: 'stripe-provision',
    payload: z.object({ organizationId: z.string().min(1) }),
    retry: { limit: 8, delaySeconds: 30 },
    handle: ({ organizationId }, deps) =>
      provisionInStripe(deps.services, deps.log, organizationId),
  }),
  defineJob({
    name: 'stripe-reconcile',
    cron: '17 * * * *',
    payload: z.object({}),
    handle: (_payload, deps) => reconcileWithStripe(deps.services, deps.log),
  }),
  defineJob({
    name: 'subscription-renewal',
    // Ledger-only mode: periods roll over here; with Stripe, its renewals arrive as webhooks.
    cron: '*/10 * * * *',
    payload: z.object({}),
    handle: (_payload, deps) =>
      deps.services.stripe
        ? Promise.resolve({ renewed: 0 })
        : renewLedgerSubscriptions(deps.services, deps.log),
  }),
];
