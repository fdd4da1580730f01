import { money } from '../billing/money.ts';
import {
  aggregation,
  billingInterval,
  type FeatureRow,
  type limitMode,
  type MeterRow,
  type OverageTier,
  type PlanEntitlementRow,
  type PlanQuotaRow,
  type PlanRow,
} from '../db/schema.ts';
import {
  findPlan,
  listFeatures,
  listMeters,
  listPlans,
} from '../resolvers/catalog/catalog-queries.ts';
import { builder } from './builder.ts';
import { MoneyType } from './money-type.ts';

export const AggregationEnum = builder.enumType('Aggregation', { values: aggregation.enumValues });
export const LimitModeEnum = builder.enumType('LimitMode', {
  values: {
    HARD: { description: 'Usage is refused at the limit.' },
    SOFT: { description: 'Usage goes on past the limit; warnings only, no charge.' },
    OVERAGE: {
      description: 'Usage goes on past the limit and the excess is billed at the overage price.',
    },
  } satisfies Record<(typeof limitMode.enumValues)[number], unknown>,
});
export const BillingIntervalEnum = builder.enumType('BillingInterval', {
  values: billingInterval.enumValues,
});

export const MeterType = builder.objectRef<MeterRow>('Meter').implement({
  fields: (t) => ({
    key: t.exposeID('key', { description: 'Stable key, e.g. api_requests, storage_gb.' }),
    name: t.exposeString('name'),
    unit: t.exposeString('unit'),
    aggregation: t.field({ type: AggregationEnum, resolve: (meter) => meter.aggregation }),
  }),
});

export const FeatureType = builder.objectRef<FeatureRow>('Feature').implement({
  fields: (t) => ({
    key: t.exposeID('key', { description: 'Stable key, e.g. sso, custom_domains.' }),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
  }),
});

const PlanEntitlementType = builder.objectRef<PlanEntitlementRow>('PlanEntitlement').implement({
  fields: (t) => ({
    feature: t.field({
      type: FeatureType,
      resolve: async (entitlement, _args, ctx) => {
        const feature = await ctx.loaders.featureByKey.load(entitlement.featureKey);
        if (!feature)
          throw new Error(`plan entitlement refers to unknown feature ${entitlement.featureKey}`);
        return feature;
      },
    }),
    value: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'null for an on/off feature; otherwise the value the plan grants: a number, a string or an object.',
      resolve: (entitlement) => entitlement.value ?? null,
    }),
  }),
});

interface PlanPrice {
  interval: PlanRow['interval'];
  amount: bigint;
  currency: string;
}

const PlanPriceType = builder.objectRef<PlanPrice>('PlanPrice').implement({
  description: 'What a subscription on this plan version pays per interval.',
  fields: (t) => ({
    interval: t.field({ type: BillingIntervalEnum, resolve: (price) => price.interval }),
    amount: t.field({ type: MoneyType, resolve: (price) => money(price.amount, price.currency) }),
  }),
});

const PriceTierType = builder.objectRef<OverageTier>('PriceTier').implement({
  description:
    "A graduated overage tier: the unit price of the period's usage up to `upTo` (a bound on total usage, as Stripe's up_to).",
  fields: (t) => ({
    upTo: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Upper bound of this tier in units; null means no upper bound.',
      resolve: (tier) => tier.upTo,
    }),
    unitPrice: t.field({ type: 'Decimal', resolve: (tier) => tier.unitPrice }),
  }),
});

const PlanQuotaType = builder.objectRef<PlanQuotaRow>('PlanQuota').implement({
  fields: (t) => ({
    meter: t.field({
      type: MeterType,
      resolve: async (quota, _args, ctx) => {
        const meter = await ctx.loaders.meterByKey.load(quota.meterKey);
        if (!meter) throw new Error(`plan quota refers to unknown meter ${quota.meterKey}`);
        return meter;
      },
    }),
    included: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Included quantity per period; null means unlimited.',
      resolve: (quota) => quota.includedQuantity,
    }),
    mode: t.field({ type: LimitModeEnum, resolve: (quota) => quota.limitMode }),
    overageUnitPrice: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'Price per unit above the included quantity, in major currency units ("0.0003"); null unless mode is OVERAGE.',
      resolve: (quota) => quota.overageUnitPrice,
    }),
    overageTiers: t.field({
      type: [PriceTierType],
      nullable: true,
      description: 'Graduated overage tiers, when the plan has them.',
      resolve: (quota) => quota.overageTiers,
    }),
  }),
});

export const PlanType = builder.objectRef<PlanRow>('Plan').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    key: t.exposeString('key'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    basePrice: t.field({
      type: MoneyType,
      resolve: (plan) => money(plan.basePriceAmount, plan.currency),
    }),
    interval: t.field({ type: BillingIntervalEnum, resolve: (plan) => plan.interval }),
    trialDays: t.exposeInt('trialDays'),
    quotas: t.field({
      type: [PlanQuotaType],
      resolve: (plan, _args, ctx) => ctx.loaders.quotasByPlanId.load(plan.id),
    }),
    prices: t.field({
      type: [PlanPriceType],
      description:
        'Every interval this version is sold at. Quotas are per calendar month whatever the interval.',
      resolve: async (plan, _args, ctx) =>
        (await ctx.loaders.pricesByPlanId.load(plan.id)).map((price) => ({
          interval: price.interval,
          amount: price.amount,
          currency: plan.currency,
        })),
    }),
    entitlements: t.field({
      type: [PlanEntitlementType],
      resolve: (plan, _args, ctx) => ctx.loaders.entitlementsByPlanId.load(plan.id),
    }),
    features: t.stringList({
      description: 'Keys of the features this version grants.',
      resolve: async (plan, _args, ctx) =>
        (await ctx.loaders.entitlementsByPlanId.load(plan.id)).map((e) => e.featureKey),
    }),
    active: t.exposeBoolean('active', {
      description: 'False once archived: no longer sold; existing subscriptions keep it.',
    }),
    private: t.exposeBoolean('private', {
      description: 'True for a plan made for one customer: listed to nobody, sold by ADMIN only.',
    }),
    version: t.exposeInt('version', {
      description: 'Plans are versioned; subscriptions keep the version they were sold.',
    }),
  }),
});

builder.queryFields((t) => ({
  plans: t.field({
    type: [PlanType],
    description:
      'The latest version of each plan on sale, by currency then cheapest first; archived plans only when asked. Public, for pricing pages.',
    args: {
      includeArchived: t.arg.boolean({ defaultValue: false }),
      currency: t.arg.string({ description: 'Only plans sold in this currency, e.g. usd.' }),
    },
    resolve: (_root, args, ctx) =>
      listPlans(ctx, {
        includeArchived: args.includeArchived ?? false,
        currency: args.currency?.toLowerCase() ?? null,
      }),
  }),
  plan: t.field({
    type: PlanType,
    nullable: true,
    description: 'The latest version of a plan, or the one asked for. Public.',
    args: { key: t.arg.string({ required: true }), version: t.arg.int() },
    resolve: (_root, args, ctx) => findPlan(ctx, args.key, args.version ?? null),
  }),
  features: t.field({
    type: [FeatureType],
    description: 'Everything a plan may grant. Public.',
    resolve: (_root, _args, ctx) => listFeatures(ctx),
  }),
  meters: t.field({
    type: [MeterType],
    description: 'Everything that is metered. Public.',
    resolve: (_root, _args, ctx) => listMeters(ctx),
  }),
}));
