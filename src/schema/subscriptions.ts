import type { BillingSubscriptionRow, DuplicateStripeSubscriptionRow } from '../db/schema.ts';
import { subscriptionStatus } from '../db/schema.ts';
import { type BillingSubscriptionWire, subscriptionFromWire } from '../live/wire.ts';
import { listDuplicateSubscriptions } from '../resolvers/subscriptions/duplicate-subscriptions.ts';
import { findSubscription } from '../resolvers/subscriptions/subscription-start.ts';
import { builder } from './builder.ts';
import { BillingIntervalEnum, PlanType } from './catalog.ts';
import { liveOrganization, liveScopes } from './live.ts';

const SubscriptionStatusEnum = builder.enumType('SubscriptionStatus', {
  values: subscriptionStatus.enumValues,
});

export const BillingSubscriptionType = builder
  .objectRef<BillingSubscriptionRow>('BillingSubscription')
  .implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      plan: t.field({
        type: PlanType,
        resolve: async (subscription, _args, ctx) => {
          const plan = await ctx.loaders.planById.load(subscription.planId);
          if (!plan) throw new Error(`subscription ${subscription.id} has no plan`);
          return plan;
        },
      }),
      status: t.field({ type: SubscriptionStatusEnum, resolve: (s) => s.status }),
      currentPeriodStart: t.field({ type: 'DateTime', resolve: (s) => s.currentPeriodStart }),
      currentPeriodEnd: t.field({ type: 'DateTime', resolve: (s) => s.currentPeriodEnd }),
      trialEnd: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.trialEnd }),
      cancelAtPeriodEnd: t.exposeBoolean('cancelAtPeriodEnd'),
      canceledAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.canceledAt }),
      pendingPlan: t.field({
        type: PlanType,
        nullable: true,
        description: 'A change scheduled for the end of the period (a downgrade, usually).',
        resolve: (s, _args, ctx) =>
          s.pendingPlanId ? ctx.loaders.planById.load(s.pendingPlanId) : null,
      }),
      interval: t.field({
        type: BillingIntervalEnum,
        description:
          'How often the base price is charged; usage and quotas stay per calendar month.',
        resolve: (s) => s.interval,
      }),
      pendingInterval: t.field({
        type: BillingIntervalEnum,
        nullable: true,
        description:
          'An interval scheduled for the end of the period (yearly to monthly waits for the end of the paid year).',
        resolve: (s) => s.pendingInterval,
      }),
      stripeSubscriptionId: t.exposeString('stripeSubscriptionId', { nullable: true }),
    }),
  });

builder.queryField('subscription', (t) =>
  t.field({
    type: BillingSubscriptionType,
    nullable: true,
    description: "The caller's organization's subscription (OWNER, VIEWER).",
    authScopes: { member: 'readBilling' },
    resolve: (_root, _args, ctx) =>
      ctx.principal?.organizationId ? findSubscription(ctx, ctx.principal.organizationId) : null,
  }),
);

builder.subscriptionField('subscriptionUpdated', (t) =>
  t.field({
    type: BillingSubscriptionType,
    description: 'Plan or status changes, e.g. from Stripe webhooks (past due, canceled).',
    args: { organizationId: t.arg.id() },
    authScopes: liveScopes,
    subscribe: (_root, args, ctx) =>
      ctx.live.stream('subscription:updated', liveOrganization(ctx, args.organizationId)),
    resolve: (wire: BillingSubscriptionWire) => subscriptionFromWire(wire),
  }),
);

const DuplicateStripeSubscriptionType = builder
  .objectRef<DuplicateStripeSubscriptionRow>('DuplicateStripeSubscription')
  .implement({
    description:
      'A second live Stripe subscription seen for an organization billed by another: canceled in Stripe at once (canceledAt), or why that failed (cancelError). Anything it was paid is for the operator to refund.',
    fields: (t) => ({
      stripeSubscriptionId: t.exposeID('stripeSubscriptionId'),
      organizationId: t.exposeID('organizationId'),
      keptStripeSubscriptionId: t.exposeID('keptStripeSubscriptionId', {
        description: 'The Stripe subscription the organization stays billed by.',
      }),
      stripeCustomerId: t.exposeString('stripeCustomerId'),
      detectedAt: t.field({ type: 'DateTime', resolve: (d) => d.detectedAt }),
      canceledAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.canceledAt }),
      cancelError: t.exposeString('cancelError', { nullable: true }),
    }),
  });

builder.queryField('duplicateStripeSubscriptions', (t) =>
  t.field({
    type: [DuplicateStripeSubscriptionType],
    description:
      'Second live Stripe subscriptions seen for one organization, newest first, at most 100 (ADMIN).',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => listDuplicateSubscriptions(ctx),
  }),
);
