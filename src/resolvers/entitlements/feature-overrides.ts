import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../../context.ts';
import { featureOverrides, features, organizations } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { entitlementValue } from '../catalog/catalog-input.ts';
import { announceEntitlements } from '../live/announcements.ts';
import { type Entitlement, entitlementsOf } from './entitlement-store.ts';

export const featureOverrideInput = z.object({
  organizationId: z.string().min(1).max(64),
  feature: z.string().min(1).max(64),
  enabled: z.boolean(),
  value: entitlementValue,
  expiresAt: z.date().nullish(),
});

/**
 * ADMIN: grants or withdraws a feature for one organization, replacing its plan's word until
 * `expiresAt` (or for good). Setting it again replaces it. Answers the organization's
 * entitlements and announces them.
 */
export async function setFeatureOverride(
  ctx: RequestContext,
  input: z.infer<typeof featureOverrideInput>,
): Promise<Entitlement[]> {
  const now = ctx.now();
  if (input.expiresAt && input.expiresAt <= now) {
    throw ValidationError.forField(['input', 'expiresAt'], 'must be in the future');
  }
  const [organization] = await ctx.db
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, input.organizationId));
  if (!organization) throw new NotFoundError('Organization');
  const [feature] = await ctx.db
    .select({ key: features.key })
    .from(features)
    .where(eq(features.key, input.feature));
  if (!feature) throw new NotFoundError(`Feature "${input.feature}"`);
  const values = {
    enabled: input.enabled,
    value: input.value,
    expiresAt: input.expiresAt ?? null,
    updatedAt: now,
  };
  await ctx.db
    .insert(featureOverrides)
    .values({ organizationId: organization.id, featureKey: feature.key, ...values })
    .onConflictDoUpdate({
      target: [featureOverrides.organizationId, featureOverrides.featureKey],
      set: values,
    });
  ctx.log.info(
    { organizationId: organization.id, feature: feature.key, enabled: input.enabled },
    'feature override set',
  );
  announceEntitlements(ctx, organization.id);
  if (input.expiresAt) {
    // Its lapse changes the entitlements with nobody writing: announced then by a job.
    await ctx.jobs.send(
      'entitlement-override-lapse',
      { organizationId: organization.id },
      { startAfterSeconds: Math.ceil((input.expiresAt.getTime() - now.getTime()) / 1000) },
    );
  }
  return entitlementsOf(ctx.db, organization.id, now);
}
