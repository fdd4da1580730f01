import { z } from 'zod';
import { BillingProviderError, NotFoundError, ValidationError } from '../errors.ts';
import {
  cancelSubscription,
  resumeSubscription,
} from '../resolvers/subscriptions/cancel-resume.ts';
import {
  checkoutInput,
  createCheckoutSession,
  createPortalSession,
  returnUrl,
} from '../resolvers/subscriptions/checkout.ts';
import {
  changePlan,
  type PlanChangePreview,
  planChangeInput,
  previewPlanChange,
} from '../resolvers/subscriptions/plan-changes.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { BillingIntervalEnum, PlanType } from './catalog.ts';
import { ErrorInterface, isErrorNamed } from './error-types.ts';
import { InvoiceLineItemType } from './invoice-lines.ts';
import { MoneyType } from './money-type.ts';
import { organizationScopes, scopedOrganization } from './organization-scope.ts';
import { BillingSubscriptionType } from './subscriptions.ts';

builder.objectType(BillingProviderError, {
  name: 'BillingProviderError',
  description: 'The payment provider (Stripe) refused or failed; nothing was changed locally.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorNamed('BillingProviderError'),
  fields: (t) => ({ code: t.exposeString('code', { nullable: true }) }),
});

export const PlanChangeTimingEnum = builder.enumType('PlanChangeTiming', {
  values: ['IMMEDIATELY', 'PERIOD_END'] as const,
});

const PlanChangePreviewType = builder.objectRef<PlanChangePreview>('PlanChangePreview').implement({
  fields: (t) => ({
    from: t.field({ type: PlanType, resolve: (p) => p.from }),
    to: t.field({ type: PlanType, resolve: (p) => p.to }),
    timing: t.field({ type: PlanChangeTimingEnum, resolve: (p) => p.timing }),
    effectiveAt: t.field({ type: 'DateTime', resolve: (p) => p.effectiveAt }),
    proration: t.field({
      type: MoneyType,
      description: 'Proration for the rest of the period: negative is a credit.',
      resolve: (p) => p.proration,
    }),
    nextInvoiceTotal: t.field({
      type: MoneyType,
      description: "The next invoice's total if the change is made.",
      resolve: (p) => p.nextInvoiceTotal,
    }),
    lineItems: t.field({ type: [InvoiceLineItemType], resolve: (p) => p.lineItems }),
    warnings: t.exposeStringList('warnings', {
      description:
        'What the change does to usage already recorded, e.g. a HARD limit the usage exceeds.',
    }),
  }),
});

const ChangePlanSuccess = builder
  .objectRef<Awaited<ReturnType<typeof changePlan>>>('ChangePlanSuccess')
  .implement({
    fields: (t) => ({
      subscription: t.field({ type: BillingSubscriptionType, resolve: (r) => r.subscription }),
      preview: t.field({ type: PlanChangePreviewType, resolve: (r) => r.preview }),
    }),
  });

const SubscriptionSuccess = builder
  .objectRef<{ subscription: Awaited<ReturnType<typeof cancelSubscription>> }>(
    'SubscriptionSuccess',
  )
  .implement({
    fields: (t) => ({
      subscription: t.field({ type: BillingSubscriptionType, resolve: (r) => r.subscription }),
    }),
  });

const CheckoutSessionType = builder
  .objectRef<{ id: string; url: string }>('CheckoutSession')
  .implement({
    fields: (t) => ({ id: t.exposeID('id'), url: t.exposeString('url') }),
  });
const CheckoutSessionSuccess = builder
  .objectRef<{ session: { id: string; url: string } }>('CheckoutSessionSuccess')
  .implement({
    fields: (t) => ({ session: t.field({ type: CheckoutSessionType, resolve: (r) => r.session }) }),
  });
const PortalSessionType = builder.objectRef<{ url: string }>('PortalSession').implement({
  fields: (t) => ({ url: t.exposeString('url') }),
});
const PortalSessionSuccess = builder
  .objectRef<{ session: { url: string } }>('PortalSessionSuccess')
  .implement({
    fields: (t) => ({ session: t.field({ type: PortalSessionType, resolve: (r) => r.session }) }),
  });

/** Reads: OWNER and VIEWER of the organization, ADMIN naming it. Changes: OWNER, or ADMIN. */
const readers = organizationScopes('readBilling');
const owners = organizationScopes('manageBilling');
const allowLocalHttp = (env: string) => env !== 'production';

builder.queryField('previewPlanChange', (t) =>
  t.field({
    type: PlanChangePreviewType,
    description:
      'What changePlan would do: proration (as Stripe computes it), the next invoice, warnings.',
    authScopes: readers,
    args: {
      planKey: t.arg.string({ required: true }),
      timing: t.arg({ type: PlanChangeTimingEnum, defaultValue: 'IMMEDIATELY' }),
      interval: t.arg({
        type: BillingIntervalEnum,
        description:
          'The interval to be charged at; the current one when left out (if the plan is sold at it).',
      }),
      organizationId: t.arg.id({ description: 'ADMIN keys name the organization.' }),
    },
    resolve: (_root, args, ctx) =>
      previewPlanChange(
        ctx,
        scopedOrganization(ctx, args.organizationId),
        parseInput(planChangeInput, { ...args, timing: args.timing ?? 'IMMEDIATELY' }),
      ),
  }),
);

builder.mutationField('changePlan', (t) =>
  t.field({
    type: ChangePlanSuccess,
    description:
      'IMMEDIATELY (upgrades): prorated now. PERIOD_END (downgrades): pending until the renewal.',
    authScopes: owners,
    errors: {
      types: [NotFoundError, ValidationError, BillingProviderError],
      directResult: true,
      union: { name: 'ChangePlanResult' },
    },
    args: {
      planKey: t.arg.string({ required: true }),
      timing: t.arg({ type: PlanChangeTimingEnum, defaultValue: 'IMMEDIATELY' }),
      interval: t.arg({
        type: BillingIntervalEnum,
        description:
          'The interval to be charged at; the current one when left out (if the plan is sold at it).',
      }),
      organizationId: t.arg.id({ description: 'ADMIN keys name the organization.' }),
    },
    resolve: (_root, args, ctx) =>
      changePlan(
        ctx,
        scopedOrganization(ctx, args.organizationId),
        parseInput(planChangeInput, { ...args, timing: args.timing ?? 'IMMEDIATELY' }),
      ),
  }),
);

builder.mutationField('cancelSubscription', (t) =>
  t.field({
    type: SubscriptionSuccess,
    description:
      'At the end of the period (default; resumable until then), or at once (back to the free plan).',
    authScopes: owners,
    errors: {
      types: [NotFoundError, BillingProviderError],
      directResult: true,
      union: { name: 'CancelSubscriptionResult' },
    },
    args: { atPeriodEnd: t.arg.boolean({ defaultValue: true }), organizationId: t.arg.id() },
    resolve: async (_root, args, ctx) => ({
      subscription: await cancelSubscription(
        ctx,
        scopedOrganization(ctx, args.organizationId),
        args.atPeriodEnd ?? true,
      ),
    }),
  }),
);

builder.mutationField('resumeSubscription', (t) =>
  t.field({
    type: SubscriptionSuccess,
    authScopes: owners,
    errors: {
      types: [NotFoundError, ValidationError, BillingProviderError],
      directResult: true,
      union: { name: 'ResumeSubscriptionResult' },
    },
    args: { organizationId: t.arg.id() },
    resolve: async (_root, args, ctx) => ({
      subscription: await resumeSubscription(ctx, scopedOrganization(ctx, args.organizationId)),
    }),
  }),
);

builder.mutationField('createCheckoutSession', (t) =>
  t.field({
    type: CheckoutSessionSuccess,
    description: "Self-serve sign-up through Stripe Checkout, with the plan's trial days.",
    authScopes: owners,
    errors: {
      types: [NotFoundError, ValidationError, BillingProviderError],
      directResult: true,
      union: { name: 'CheckoutSessionResult' },
    },
    args: {
      planKey: t.arg.string({ required: true }),
      interval: t.arg({
        type: BillingIntervalEnum,
        description: "The plan's default interval when left out.",
      }),
      successUrl: t.arg.string({ required: true }),
      cancelUrl: t.arg.string({ required: true }),
      organizationId: t.arg.id(),
    },
    resolve: async (_root, args, ctx) => ({
      session: await createCheckoutSession(
        ctx,
        scopedOrganization(ctx, args.organizationId),
        parseInput(checkoutInput(allowLocalHttp(ctx.config.server.env)), args),
      ),
    }),
  }),
);

builder.mutationField('createPortalSession', (t) =>
  t.field({
    type: PortalSessionSuccess,
    authScopes: owners,
    errors: {
      types: [NotFoundError, BillingProviderError],
      directResult: true,
      union: { name: 'PortalSessionResult' },
    },
    args: { returnUrl: t.arg.string({ required: true }), organizationId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      // Not in the contract's union: a bad URL is a GraphQL error with code BAD_USER_INPUT.
      const input = parseInput(
        z.object({ returnUrl: returnUrl(allowLocalHttp(ctx.config.server.env)) }),
        args,
      );
      return {
        session: await createPortalSession(
          ctx,
          scopedOrganization(ctx, args.organizationId),
          input.returnUrl,
        ),
      };
    },
  }),
);
