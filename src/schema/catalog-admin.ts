import type { FeatureRow, MeterRow, PlanRow } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { featureInput, meterInput, planInput } from '../resolvers/catalog/catalog-input.ts';
import { defineFeature, defineMeter } from '../resolvers/catalog/meter-definitions.ts';
import { archivePlan, publishPlan } from '../resolvers/catalog/plan-publishing.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import {
  AggregationEnum,
  BillingIntervalEnum,
  FeatureType,
  LimitModeEnum,
  MeterType,
  PlanType,
} from './catalog.ts';

// The catalog's mutations (ADMIN): the same operations a catalog file is applied with.

const MeterInputType = builder.inputType('MeterInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    name: t.string({ required: true }),
    unit: t.string({ required: true, description: 'For people, singular: request, GB, seat.' }),
    aggregation: t.field({ type: AggregationEnum, required: true }),
  }),
});

const FeatureInputType = builder.inputType('FeatureInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    name: t.string({ required: true }),
    description: t.string(),
  }),
});

const PriceTierInput = builder.inputType('PriceTierInput', {
  fields: (t) => ({
    upTo: t.field({ type: 'Decimal' }),
    unitPrice: t.field({ type: 'Decimal', required: true }),
  }),
});

const PlanQuotaInput = builder.inputType('PlanQuotaInput', {
  fields: (t) => ({
    meter: t.string({ required: true }),
    included: t.field({ type: 'Decimal', description: 'null means unlimited.' }),
    mode: t.field({ type: LimitModeEnum, required: true }),
    overageUnitPrice: t.field({ type: 'Decimal' }),
    overageTiers: t.field({ type: [PriceTierInput] }),
  }),
});

const PlanPriceInput = builder.inputType('PlanPriceInput', {
  fields: (t) => ({
    interval: t.field({ type: BillingIntervalEnum, required: true }),
    amount: t.field({ type: 'MinorUnits', required: true }),
  }),
});

const PlanEntitlementInput = builder.inputType('PlanEntitlementInput', {
  fields: (t) => ({
    feature: t.string({ required: true }),
    value: t.field({ type: 'JSON' }),
  }),
});

const PlanInputType = builder.inputType('PlanInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    name: t.string({ required: true }),
    description: t.string(),
    currency: t.string({ defaultValue: 'usd' }),
    prices: t.field({ type: [PlanPriceInput], required: true }),
    trialDays: t.int({ defaultValue: 0 }),
    quotas: t.field({ type: [PlanQuotaInput], required: true }),
    entitlements: t.field({ type: [PlanEntitlementInput] }),
    private: t.boolean({
      defaultValue: false,
      description:
        'Not listed by plans and found by plan(key) for ADMIN only: a plan made for one customer, which only an ADMIN sells or moves subscribers to.',
    }),
  }),
});

const MeterSuccess = builder.objectRef<{ meter: MeterRow }>('MeterSuccess').implement({
  fields: (t) => ({ meter: t.field({ type: MeterType, resolve: (r) => r.meter }) }),
});

const FeatureSuccess = builder.objectRef<{ feature: FeatureRow }>('FeatureSuccess').implement({
  fields: (t) => ({ feature: t.field({ type: FeatureType, resolve: (r) => r.feature }) }),
});

const PublishPlanSuccess = builder
  .objectRef<{ plan: PlanRow; changed: boolean }>('PublishPlanSuccess')
  .implement({
    fields: (t) => ({
      plan: t.field({ type: PlanType, resolve: (r) => r.plan }),
      changed: t.exposeBoolean('changed', {
        description: 'False when the input equals the latest version: nothing was published.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  createMeter: t.field({
    type: MeterSuccess,
    description:
      'ADMIN only. Defines a meter; the same key again renames it, or changes its aggregation while it has no events.',
    authScopes: { admin: true },
    errors: { types: [ValidationError], directResult: true, union: { name: 'MeterResult' } },
    args: { input: t.arg({ type: MeterInputType, required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.db.transaction((tx) => defineMeter(tx, parseInput(meterInput, args.input, ['input']))),
  }),
  createFeature: t.field({
    type: FeatureSuccess,
    description: 'ADMIN only. Defines a feature; the same key again renames or redescribes it.',
    authScopes: { admin: true },
    errors: { types: [ValidationError], directResult: true, union: { name: 'FeatureResult' } },
    args: { input: t.arg({ type: FeatureInputType, required: true }) },
    resolve: (_root, args, ctx) =>
      defineFeature(ctx.db, parseInput(featureInput, args.input, ['input'])),
  }),
  publishPlan: t.field({
    type: PublishPlanSuccess,
    description:
      'ADMIN only. Version 1 of a new key, or the next version of an existing one; subscribers keep theirs.',
    authScopes: { admin: true },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      // One union for both fields: the errors plugin builds a union once per result name.
      result: { name: 'PublishPlanSuccess' },
      union: { name: 'PublishPlanResult' },
    },
    args: { input: t.arg({ type: PlanInputType, required: true }) },
    resolve: (_root, args, ctx) => {
      const input = parseInput(planInput, args.input, ['input']);
      return ctx.db.transaction((tx) => publishPlan(tx, input));
    },
  }),
  archivePlan: t.field({
    type: PublishPlanSuccess,
    description: 'ADMIN only. Stops selling every version of the plan; subscribers keep it.',
    authScopes: { admin: true },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      // One union for both fields: the errors plugin builds a union once per result name.
      result: { name: 'PublishPlanSuccess' },
      union: { name: 'PublishPlanResult' },
    },
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.db.transaction((tx) => archivePlan(tx, args.key)),
  }),
}));
