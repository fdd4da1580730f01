import { createHash } from 'node:crypto';
import { formatDecimal } from '../billing/decimal.ts';
import type { Services } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { createRequestContext } from '../request-context.ts';
import { checkFeature } from '../resolvers/entitlements/feature-checks.ts';
import { publishedKeys } from '../resolvers/entitlements/signing-keys.ts';
import { checkQuotaFor, usageOf } from '../resolvers/metering/usage-queries.ts';
import { findSubscription } from '../resolvers/subscriptions/subscription-start.ts';
import { sendJson } from './respond.ts';
import { memberOf } from './route-auth.ts';
import type { RouteHandler } from './server.ts';

/*
 * The hot-path checks for producers, beside GraphQL and outside its pipeline: the same answers
 * as `entitlements`, `checkFeature` and `checkQuota`, from the same in-process caches, with the
 * same keys and roles (every role of the organization).
 */

const decimal = (value: { toString(): string } | null) =>
  value === null ? null : formatDecimal(value.toString());

/**
 * GET /v1/entitlements: the organization's snapshot, for a client to answer from: its plan,
 * features with their values, meters with limit, used and remaining, the period's end, and a
 * version that changes whenever any of it does.
 */
export function entitlementsRoute(services: Services): RouteHandler {
  return async (req, res, request) => {
    const principal = await memberOf(services, req, res, 'readEntitlements', 'read entitlements');
    if (!principal) return;
    const ctx = createRequestContext(services, { principal, ...request });
    const organizationId = principal.organizationId;
    const [subscription, entitlements, usage] = await Promise.all([
      findSubscription(ctx, organizationId),
      ctx.entitlements.of(ctx.db, organizationId, ctx.now()),
      usageOf(ctx, organizationId),
    ]);
    const plan = subscription ? await ctx.loaders.planById.load(subscription.planId) : null;
    const meters = await Promise.all(usage.map((u) => ctx.loaders.meterByKey.load(u.meterKey)));
    const snapshot = {
      organizationId,
      plan: plan ? { key: plan.key, version: plan.version, name: plan.name } : null,
      status: subscription?.status ?? null,
      periodEnd: subscription?.currentPeriodEnd.toISOString() ?? null,
      features: entitlements.map((e) => ({
        feature: e.featureKey,
        enabled: e.enabled,
        value: e.value,
        source: e.source,
        expiresAt: e.expiresAt?.toISOString() ?? null,
      })),
      meters: usage.map((u, i) => ({
        meter: u.meterKey,
        aggregation: meters[i]?.aggregation ?? 'SUM',
        mode: u.mode,
        limit: decimal(u.limit),
        used: decimal(u.used),
        remaining: decimal(u.remaining),
        status: u.status,
        blocked: u.blocked,
      })),
    };
    const version = createHash('sha256').update(JSON.stringify(snapshot)).digest('hex');
    sendJson(res, 200, { ...snapshot, version: version.slice(0, 16) });
  };
}

/**
 * GET /v1/check?feature=sso, or GET /v1/check?meter=api_requests&quantity=1 (quantity 1 when
 * left out): may the organization use this, or record this now? A read; nothing is reserved.
 */
export function checkRoute(services: Services): RouteHandler {
  return async (req, res, request) => {
    const principal = await memberOf(services, req, res, 'readEntitlements', 'check');
    if (!principal) return;
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const feature = params.get('feature');
    const meter = params.get('meter');
    if ((feature === null) === (meter === null)) {
      sendJson(res, 400, { error: 'Give either feature=<key> or meter=<key>[&quantity=<n>]' });
      return;
    }
    const ctx = createRequestContext(services, { principal, ...request });
    try {
      if (feature !== null) {
        const check = await checkFeature(ctx, principal.organizationId, feature);
        sendJson(res, 200, {
          feature,
          allowed: check.allowed,
          value: check.value,
          upgradeTo: check.upgradeTo
            ? { key: check.upgradeTo.key, name: check.upgradeTo.name }
            : null,
          reason: check.reason,
        });
        return;
      }
      const check = await checkQuotaFor(ctx, principal.organizationId, {
        meter: meter as string,
        quantity: params.get('quantity') ?? '1',
      });
      sendJson(res, 200, {
        meter,
        allowed: check.allowed,
        requested: decimal(check.requested),
        used: decimal(check.used),
        limit: decimal(check.limit),
        remaining: decimal(check.remaining),
        mode: check.mode,
        reason: check.reason,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return sendJson(res, 404, { error: error.message });
      if (error instanceof ValidationError) {
        return sendJson(res, 400, { error: error.message, fieldErrors: error.fieldErrors });
      }
      throw error;
    }
  };
}

/**
 * GET /.well-known/jwks.json: the public keys entitlement tokens verify with (every key that
 * signs, or signed a token not yet expired). Public; a verifier that meets an unknown `kid`
 * fetches it again (a new key signs after each rotation).
 */
export function jwksRoute(services: Services): RouteHandler {
  return async (_req, res) => {
    const jwks = await publishedKeys(services.db, services.now());
    res.setHeader('cache-control', 'public, max-age=300');
    sendJson(res, 200, jwks);
  };
}
