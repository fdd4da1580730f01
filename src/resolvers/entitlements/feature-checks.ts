import type { RequestContext } from '../../context.ts';
import type { PlanRow } from '../../db/schema.ts';
import { NotFoundError } from '../../errors.ts';
import { cheapestPlanWith } from '../catalog/upgrade-paths.ts';
import { currencyOf } from '../subscriptions/organization-currency.ts';

/** "May this organization use X?", with the value of its grant, or why not and where to go. */
export interface FeatureCheck {
  featureKey: string;
  allowed: boolean;
  value: unknown;
  /** The cheapest plan on sale that grants the feature, when it is not allowed. */
  upgradeTo: PlanRow | null;
  reason: string | null;
}

/**
 * The check on a producer's hot path: an allowed feature is answered from the entitlement cache
 * alone; only a refusal reads the feature (a misspelt key is an error, never a silent "no") and
 * looks for the plan that would grant it.
 */
export async function checkFeature(
  ctx: RequestContext,
  organizationId: string,
  featureKey: string,
): Promise<FeatureCheck> {
  const entitlement = (await ctx.entitlements.of(ctx.db, organizationId, ctx.now())).find(
    (e) => e.featureKey === featureKey,
  );
  if (entitlement?.enabled) {
    return { featureKey, allowed: true, value: entitlement.value, upgradeTo: null, reason: null };
  }
  const feature = await ctx.loaders.featureByKey.load(featureKey);
  if (!feature) throw new NotFoundError(`Feature "${featureKey}"`);
  if (entitlement) {
    // Withdrawn by an override: no plan changes that.
    const until = entitlement.expiresAt ? ` until ${entitlement.expiresAt.toISOString()}` : '';
    return {
      featureKey,
      allowed: false,
      value: null,
      upgradeTo: null,
      reason: `${feature.name} is turned off for this organization${until}`,
    };
  }
  const upgradeTo = await cheapestPlanWith(
    ctx.db,
    featureKey,
    await currencyOf(ctx.db, organizationId),
  );
  return {
    featureKey,
    allowed: false,
    value: null,
    upgradeTo,
    reason: upgradeTo
      ? `${feature.name} is not in this organization's plan; the ${upgradeTo.name} plan includes it`
      : `${feature.name} is not in this organization's plan, nor in any plan on sale`,
  };
}
