import { NotFoundError, ValidationError } from '../errors.ts';
import { quotaOverrideInput, setQuotaOverride } from '../resolvers/metering/set-quota-override.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { LimitModeEnum } from './catalog.ts';
import { MeterUsageType } from './usage.ts';

const QuotaOverrideInput = builder.inputType('QuotaOverrideInput', {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    meter: t.string({ required: true }),
    limit: t.field({ type: 'Decimal', description: 'null means unlimited.' }),
    mode: t.field({ type: LimitModeEnum, required: true }),
    overageUnitPrice: t.field({
      type: 'Decimal',
      description: "OVERAGE only; null keeps the plan's overage price.",
    }),
  }),
});

const QuotaOverrideSuccess = builder
  .objectRef<{ usage: Awaited<ReturnType<typeof setQuotaOverride>> }>('QuotaOverrideSuccess')
  .implement({
    fields: (t) => ({ usage: t.field({ type: MeterUsageType, resolve: (r) => r.usage }) }),
  });

builder.mutationField('setQuotaOverride', (t) =>
  t.field({
    type: QuotaOverrideSuccess,
    description: "ADMIN only. Replaces the plan's quota of one meter for one organization.",
    authScopes: { admin: true },
    errors: {
      types: [NotFoundError, ValidationError],
      directResult: true,
      union: { name: 'QuotaOverrideResult' },
    },
    args: { input: t.arg({ type: QuotaOverrideInput, required: true }) },
    resolve: async (_root, args, ctx) => ({
      usage: await setQuotaOverride(
        ctx,
        parseInput(
          quotaOverrideInput,
          { ...args.input, organizationId: String(args.input.organizationId) },
          ['input'],
        ),
      ),
    }),
  }),
);
