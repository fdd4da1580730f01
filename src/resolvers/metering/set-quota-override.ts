import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { effectiveQuota } from '../../billing/quota.ts';
import type { MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { RequestContext } from '../../context.ts';
import { limitMode, organizations, quotaOverrides } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { alertsFired } from '../alerts/alert-dispatch.ts';
import { nonNegativeDecimal } from '../common/decimal-input.ts';
import { announceTermsChanged, announceUsage } from '../live/announcements.ts';
import { fireThresholdsOfNewLimits } from './limit-changes.ts';
import { loadOrganizationTerms } from './meter-terms-store.ts';
import { loadUsage } from './usage-figures-store.ts';

export const quotaOverrideInput = z
  .object({
    organizationId: z.string().min(1).max(64),
    meter: z.string().min(1).max(64),
    limit: nonNegativeDecimal(),
    mode: z.enum(limitMode.enumValues),
    overageUnitPrice: nonNegativeDecimal(),
  })
  .refine((input) => input.mode === 'OVERAGE' || input.overageUnitPrice === null, {
    path: ['overageUnitPrice'],
    message: 'only an OVERAGE limit has an overage price',
  })
  .refine((input) => input.mode !== 'OVERAGE' || input.limit !== null, {
    path: ['limit'],
    message: 'an OVERAGE limit needs a number: overage is what lies above it',
  });

/**
 * Sets an organization's own limit for a meter (ADMIN), replacing its plan's quota until changed.
 * Answers the meter's usage under the new limit.
 */
export async function setQuotaOverride(
  ctx: RequestContext,
  input: z.infer<typeof quotaOverrideInput>,
): Promise<MeterUsageFigures> {
  const [organization] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, input.organizationId));
  if (!organization) throw new NotFoundError('Organization');
  const terms = (await loadOrganizationTerms(ctx.db, [organization.id])).get(organization.id);
  const current = terms?.meters.get(input.meter);
  if (!current) {
    throw ValidationError.forField(
      ['input', 'meter'],
      `unknown meter "${input.meter}"; see the meters query`,
    );
  }
  const values = {
    limitQuantity: input.limit,
    limitMode: input.mode,
    overageUnitPrice: input.overageUnitPrice,
  };
  const next = effectiveQuota(current.planQuota, values);
  if (next.mode === 'OVERAGE' && !next.overageUnitPrice && !next.overageTiers) {
    throw ValidationError.forField(
      ['input', 'overageUnitPrice'],
      'is required: the plan has no overage price for this meter',
    );
  }

  const alerts = await ctx.db.transaction(async (tx) => {
    await tx
      .insert(quotaOverrides)
      .values({ organizationId: organization.id, meterKey: input.meter, ...values })
      .onConflictDoUpdate({
        target: [quotaOverrides.organizationId, quotaOverrides.meterKey],
        set: values,
      });
    return fireThresholdsOfNewLimits(tx, organization.id, ctx.now(), [input.meter]);
  });
  announceTermsChanged(ctx, organization.id);
  ctx.log.info(
    { organizationId: organization.id, meter: input.meter, ...values },
    'quota override set',
  );

  const usage = (await loadUsage(ctx.db, [organization.id], ctx.now()))
    .get(organization.id)
    ?.find((u) => u.meterKey === input.meter);
  if (!usage) throw new Error(`no usage for meter ${input.meter}`);
  announceUsage(ctx, organization.id, [usage]);
  await alertsFired(ctx, organization.id, alerts);
  return usage;
}
