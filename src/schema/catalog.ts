import { money } from '../billing/money.ts';
import {
  aggregation,
  billingInterval,
  type limitMode,
  type MeterRow,
  type OverageTier,
  type PlanQuotaRow,
  type PlanRow,
} from '../db/schema.ts';
import { findPlanByKey, listMeters, listPlans } from '../resolvers/catalog/catalog-queries.ts';
import { builder } from './builder.ts';
import { MoneyType } from './money-type.ts';

const AggregationEnum = builder.enumType('Aggregation', { values: aggregation.enumValues });
export const LimitModeEnum = builder.enumType('LimitMode', {
  values: {
    HARD: { description: 'Usage is refused at the limit.' },
    SOFT: { description: 'Usage goes on past the limit; warnings only, no charge.' },
    OVERAGE: {
      description: 'Usage goes on past the limit and the excess is billed at the overage price.',
    },
  } satisfies Record<(typeof limitMode.enumValues)[number], unknown>,
});
const BillingIntervalEnum = builder.enumType('BillingInterval', {
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
    features: t.exposeStringList('features'),
    active: t.exposeBoolean('active'),
    version: t.exposeInt('version', {
      description: 'Plans are versioned; subscriptions keep the version they were sold.',
    }),
  }),
});

builder.queryFields((t) => ({
  plans: t.field({
    type: [PlanType],
    description: 'The plans on sale, cheapest first. Public, for pricing pages.',
    resolve: (_root, _args, ctx) => listPlans(ctx),
  }),
  plan: t.field({
    type: PlanType,
    nullable: true,
    description: 'The current version of a plan. Public.',
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => findPlanByKey(ctx, args.key),
  }),
  meters: t.field({
    type: [MeterType],
    description: 'Everything that is metered. Public.',
    resolve: (_root, _args, ctx) => listMeters(ctx),
  }),
}));
