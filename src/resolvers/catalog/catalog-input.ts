import { z } from 'zod';
import { Decimal } from '../../billing/decimal.ts';
import { isStorableAmount } from '../../billing/money.ts';
import { aggregation, billingInterval, limitMode } from '../../db/schema.ts';
import { textProblem } from '../../validation.ts';
import { nonNegativeDecimal } from '../common/decimal-input.ts';

/**
 * What an ADMIN (or a catalog file) may define: meters, features and plan versions, checked
 * here once so that the GraphQL mutations, the seed and the CLI refuse the same things.
 */

/** Stable identifiers used by producers, plans and feature checks: lower-case, digits, `_`. */
const catalogKey = z
  .string()
  .max(64, 'at most 64 characters')
  .regex(
    /^[a-z][a-z0-9_]*$/,
    'must be lower-case letters, digits and underscores, starting with a letter',
  );

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .superRefine((value, context) => {
      const problem = textProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    });

const optionalText = (max: number) =>
  text(max)
    .nullish()
    .transform((value) => value ?? null);

export const meterInput = z.object({
  key: catalogKey,
  name: text(200),
  unit: text(64),
  aggregation: z.enum(aggregation.enumValues),
});
export type MeterInput = z.infer<typeof meterInput>;

export const featureInput = z.object({
  key: catalogKey,
  name: text(200),
  description: optionalText(2000),
});
export type FeatureInput = z.infer<typeof featureInput>;

/** Minor units: a bigint (GraphQL's MinorUnits), or in a catalog file digits or a safe integer. */
const amount = z
  .union([
    z.bigint(),
    z.string().regex(/^\d{1,19}$/, 'must be a whole number of minor units, e.g. "4900"'),
    z.number().int().refine(Number.isSafeInteger, 'write large amounts as a string'),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value >= 0n, 'must not be negative')
  .refine(isStorableAmount, 'is more than an invoice can hold');

const priceInput = z.object({
  interval: z.enum(billingInterval.enumValues),
  amount,
});

const tierInput = z.object({
  upTo: nonNegativeDecimal(),
  unitPrice: nonNegativeDecimal().refine((price) => price !== null, 'is required'),
});

const quotaInput = z
  .object({
    meter: catalogKey,
    included: nonNegativeDecimal(),
    mode: z.enum(limitMode.enumValues),
    overageUnitPrice: nonNegativeDecimal(),
    overageTiers: z.array(tierInput).min(1).max(20).nullish(),
  })
  .superRefine((quota, context) => {
    const priced = quota.overageUnitPrice !== null || (quota.overageTiers ?? null) !== null;
    if (quota.mode !== 'OVERAGE') {
      if (priced) {
        context.addIssue({
          code: 'custom',
          path: [quota.overageUnitPrice !== null ? 'overageUnitPrice' : 'overageTiers'],
          message: 'only an OVERAGE quota has an overage price',
        });
      }
      return;
    }
    if (quota.included === null) {
      context.addIssue({
        code: 'custom',
        path: ['included'],
        message: 'an OVERAGE quota needs a number: overage is what lies above it',
      });
    }
    if (!priced) {
      context.addIssue({
        code: 'custom',
        path: ['overageUnitPrice'],
        message: 'an OVERAGE quota needs an overage price (overageUnitPrice or overageTiers)',
      });
    } else if (quota.overageUnitPrice !== null && quota.overageTiers) {
      context.addIssue({
        code: 'custom',
        path: ['overageTiers'],
        message: 'give either overageUnitPrice or overageTiers, not both',
      });
    }
    tierProblems(quota.overageTiers ?? [], context);
  });

/** Tiers bound the period's total usage upwards, the last one open-ended (as Stripe's up_to). */
function tierProblems(
  tiers: { upTo: string | null; unitPrice: string | null }[],
  context: z.RefinementCtx,
): void {
  let previous: Decimal | null = null;
  tiers.forEach((tier, index) => {
    const last = index === tiers.length - 1;
    if (last !== (tier.upTo === null)) {
      context.addIssue({
        code: 'custom',
        path: ['overageTiers', index, 'upTo'],
        message: last
          ? 'the last tier has no upper bound (null)'
          : 'only the last tier is unbounded',
      });
      return;
    }
    if (tier.upTo === null) return;
    const bound = new Decimal(tier.upTo);
    if (previous !== null && !bound.gt(previous)) {
      context.addIssue({
        code: 'custom',
        path: ['overageTiers', index, 'upTo'],
        message: 'tiers must rise: each upTo above the one before',
      });
    }
    previous = bound;
  });
}

/** An entitlement's value: any JSON, small enough to travel in every entitlement token. */
export const entitlementValue = z
  .unknown()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === null) return null;
    const json = JSON.stringify(value);
    if (json === undefined || json.length > 4096) {
      context.addIssue({ code: 'custom', message: 'must be JSON of at most 4096 characters' });
      return z.NEVER;
    }
    const problem = textProblem(json);
    if (problem) {
      context.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return JSON.parse(json) as unknown;
  });

const entitlementInput = z.object({ feature: catalogKey, value: entitlementValue });

export const planInput = z
  .object({
    key: catalogKey,
    name: text(200),
    description: optionalText(2000),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO currency code, e.g. usd')
      .default('usd')
      .transform((code) => code.toLowerCase()),
    prices: z.array(priceInput).min(1, 'a plan needs a price (0 for a free plan)').max(2),
    trialDays: z.number().int().min(0).max(730).default(0),
    quotas: z.array(quotaInput).max(50),
    entitlements: z
      .array(entitlementInput)
      .max(100)
      .nullish()
      .transform((list) => list ?? []),
    /** Listed by nobody, offered by ADMIN only: a plan made for one customer. */
    private: z
      .boolean()
      .nullish()
      .transform((value) => value ?? false),
  })
  .superRefine((plan, context) => {
    duplicates(
      plan.prices.map((price) => price.interval),
      'prices',
      'interval',
      context,
    );
    duplicates(
      plan.quotas.map((quota) => quota.meter),
      'quotas',
      'meter',
      context,
    );
    duplicates(
      plan.entitlements.map((entitlement) => entitlement.feature),
      'entitlements',
      'feature',
      context,
    );
  });
export type PlanInput = z.infer<typeof planInput>;

function duplicates(keys: string[], list: string, field: string, context: z.RefinementCtx): void {
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    if (seen.has(key)) {
      context.addIssue({
        code: 'custom',
        path: [list, index, field],
        message: `"${key}" is listed twice`,
      });
    }
    seen.add(key);
  });
}
