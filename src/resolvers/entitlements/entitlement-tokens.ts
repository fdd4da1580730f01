import { and, count, eq, sql } from 'drizzle-orm';
import { importJWK, SignJWT } from 'jose';
import { z } from 'zod';
import { formatDecimal } from '../../billing/decimal.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { type BillingSubscriptionRow, deviceActivations, signingKeys } from '../../db/schema.ts';
import { FeatureNotEntitledError } from '../../errors.ts';
import { textProblem } from '../../validation.ts';
import { cheapestPlanWith } from '../catalog/upgrade-paths.ts';
import { loadOrganizationTerms } from '../metering/meter-terms-store.ts';
import { currencyOf } from '../subscriptions/organization-currency.ts';
import { awaitsProvisioning } from '../subscriptions/stripe-provisioning.ts';
import { findSubscription } from '../subscriptions/subscription-start.ts';
import { type Entitlement, entitlementsOf } from './entitlement-store.ts';
import { currentSigningKey } from './signing-keys.ts';

export const entitlementTokenInput = z.object({
  deviceId: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'at most 200 characters')
    .superRefine((value, context) => {
      const problem = textProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .nullish()
    .transform((value) => value ?? null),
});

/** The feature whose value `{ "max": n }` caps an organization's activated devices. */
const DEVICES_FEATURE = 'devices';

/** While a subscription is being set up (or there is none), a token lasts a day. */
const SETTING_UP_MS = 24 * 3_600_000;

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  keyId: string;
  deviceId: string | null;
}

/**
 * A signed statement of the organization's entitlements for offline checks (a compact JWS,
 * EdDSA): plan and version, features with their values, limits, the device, `iat` and `exp`.
 * Never permanent: it expires at the end of the paid period plus the offline grace, or in a day
 * while the subscription is still being set up. A device is recorded (first and last seen), and
 * a new one refused past the plan's `devices` cap.
 */
export async function issueEntitlementToken(
  ctx: RequestContext,
  organizationId: string,
  input: z.infer<typeof entitlementTokenInput>,
): Promise<IssuedToken> {
  const now = ctx.now();
  const settings = ctx.config.entitlementTokens;
  const [subscription, entitlements, termsById] = await Promise.all([
    findSubscription(ctx, organizationId),
    entitlementsOf(ctx.db, organizationId, now),
    loadOrganizationTerms(ctx.db, [organizationId]),
  ]);
  const plan = subscription ? await ctx.loaders.planById.load(subscription.planId) : null;
  const expiresAt = tokenExpiry(ctx, subscription, now, settings.graceMs);
  const terms = termsById.get(organizationId);
  const claims = {
    plan: plan ? { key: plan.key, version: plan.version } : null,
    features: Object.fromEntries(
      entitlements.filter((e) => e.enabled).map((e) => [e.featureKey, e.value ?? true]),
    ),
    limits: Object.fromEntries(
      [...(terms?.meters.values() ?? [])].map((m) => [
        m.meter.key,
        { limit: m.quota.limit === null ? null : formatDecimal(m.quota.limit), mode: m.quota.mode },
      ]),
    ),
    ...(input.deviceId ? { did: input.deviceId } : {}),
  };
  return ctx.db.transaction(async (tx) => {
    if (input.deviceId) await activateDevice(ctx, tx, organizationId, input.deviceId, entitlements);
    const key = await currentSigningKey(tx, now, settings.rotationMs);
    // The key stays published until the last token it signed has expired.
    await tx
      .update(signingKeys)
      .set({
        lastTokenExpiresAt: sql`greatest(${signingKeys.lastTokenExpiresAt}, ${expiresAt.toISOString()}::timestamptz)`,
      })
      .where(eq(signingKeys.kid, key.kid));
    const privateKey = await importJWK(key.privateJwk, 'EdDSA');
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setSubject(organizationId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(privateKey);
    return { token, expiresAt, keyId: key.kid, deviceId: input.deviceId };
  });
}

function tokenExpiry(
  ctx: RequestContext,
  subscription: BillingSubscriptionRow | null,
  now: Date,
  graceMs: number,
): Date {
  const paying =
    subscription &&
    ['ACTIVE', 'TRIALING', 'PAST_DUE'].includes(subscription.status) &&
    !awaitsProvisioning(ctx, subscription);
  return paying
    ? new Date(subscription.currentPeriodEnd.getTime() + graceMs)
    : new Date(now.getTime() + SETTING_UP_MS);
}

/** Records the device (first and last seen); a new one past the plan's cap is refused. */
async function activateDevice(
  ctx: RequestContext,
  tx: Executor,
  organizationId: string,
  deviceId: string,
  entitlements: Entitlement[],
): Promise<void> {
  const now = ctx.now();
  // One organization's activations at a time, so that two new devices cannot both fit.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`devices:${organizationId}`}))`);
  const known = await tx
    .update(deviceActivations)
    .set({ lastSeenAt: now })
    .where(
      and(
        eq(deviceActivations.organizationId, organizationId),
        eq(deviceActivations.deviceId, deviceId),
      ),
    )
    .returning();
  if (known.length > 0) return;
  const cap = deviceCap(entitlements);
  if (cap !== null) {
    const [row] = await tx
      .select({ n: count() })
      .from(deviceActivations)
      .where(eq(deviceActivations.organizationId, organizationId));
    if ((row?.n ?? 0) >= cap) {
      const more = await cheapestPlanWith(
        tx,
        DEVICES_FEATURE,
        await currencyOf(tx, organizationId),
        (value) => capOf(value) === null || (capOf(value) as number) > cap,
      );
      throw new FeatureNotEntitledError(
        DEVICES_FEATURE,
        `the plan allows ${cap} devices, all activated; deactivate one or upgrade`,
        more?.id ?? null,
      );
    }
  }
  await tx
    .insert(deviceActivations)
    .values({ organizationId, deviceId, firstSeenAt: now, lastSeenAt: now });
}

/** `{ "max": n }` caps devices; no `devices` entitlement (or no max) does not. */
function deviceCap(entitlements: Entitlement[]): number | null {
  const devices = entitlements.find((e) => e.featureKey === DEVICES_FEATURE && e.enabled);
  return devices ? capOf(devices.value) : null;
}

function capOf(value: unknown): number | null {
  const max = (value as { max?: unknown } | null)?.max;
  return typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : null;
}

/** The organization's devices, most recently seen first. */
export function devicesOf(ctx: RequestContext, organizationId: string) {
  return ctx.db
    .select()
    .from(deviceActivations)
    .where(eq(deviceActivations.organizationId, organizationId))
    .orderBy(sql`${deviceActivations.lastSeenAt} desc`);
}
