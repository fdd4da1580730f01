import type { RequestContext } from '../context.ts';
import type { DeviceActivationRow, FeatureRow } from '../db/schema.ts';
import { FeatureNotEntitledError, NotFoundError, ValidationError } from '../errors.ts';
import { cheapestPlanWith } from '../resolvers/catalog/upgrade-paths.ts';
import { type Entitlement, entitlementsOf } from '../resolvers/entitlements/entitlement-store.ts';
import {
  devicesOf,
  entitlementTokenInput,
  type IssuedToken,
  issueEntitlementToken,
} from '../resolvers/entitlements/entitlement-tokens.ts';
import { checkFeature, type FeatureCheck } from '../resolvers/entitlements/feature-checks.ts';
import {
  featureOverrideInput,
  setFeatureOverride,
} from '../resolvers/entitlements/feature-overrides.ts';
import { currencyOf } from '../resolvers/subscriptions/organization-currency.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { FeatureType, PlanType } from './catalog.ts';
import { ErrorInterface, isErrorNamed } from './error-types.ts';
import { liveOrganization, liveScopes } from './live.ts';
import { organizationScopes, scopedOrganization } from './organization-scope.ts';
import { OrganizationType } from './organizations.ts';

// Entitlements: what an organization may use, from its plan and its overrides.

async function featureOf(key: string, ctx: RequestContext): Promise<FeatureRow> {
  const feature = await ctx.loaders.featureByKey.load(key);
  if (!feature) throw new Error(`unknown feature ${key}`);
  return feature;
}

const EntitlementSourceEnum = builder.enumType('EntitlementSource', {
  values: ['PLAN', 'OVERRIDE'] as const,
});

const EntitlementType = builder.objectRef<Entitlement>('Entitlement').implement({
  fields: (t) => ({
    feature: t.field({ type: FeatureType, resolve: (e, _a, ctx) => featureOf(e.featureKey, ctx) }),
    enabled: t.exposeBoolean('enabled'),
    value: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.value }),
    source: t.field({ type: EntitlementSourceEnum, resolve: (e) => e.source }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When an override lapses; null when it does not.',
      resolve: (e) => e.expiresAt,
    }),
  }),
});

const FeatureCheckType = builder.objectRef<FeatureCheck>('FeatureCheck').implement({
  fields: (t) => ({
    feature: t.field({ type: FeatureType, resolve: (c, _a, ctx) => featureOf(c.featureKey, ctx) }),
    allowed: t.exposeBoolean('allowed'),
    value: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.value }),
    upgradeTo: t.field({
      type: PlanType,
      nullable: true,
      description: 'The cheapest active plan that grants the feature, when it is not allowed.',
      resolve: (c) => c.upgradeTo,
    }),
    reason: t.exposeString('reason', { nullable: true }),
  }),
});

const FeatureOverrideInputType = builder.inputType('FeatureOverrideInput', {
  fields: (t) => ({
    organizationId: t.id({ required: true }),
    feature: t.string({ required: true }),
    enabled: t.boolean({ required: true }),
    value: t.field({ type: 'JSON' }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const FeatureOverrideSuccess = builder
  .objectRef<{ entitlements: Entitlement[] }>('FeatureOverrideSuccess')
  .implement({
    fields: (t) => ({
      entitlements: t.field({ type: [EntitlementType], resolve: (r) => r.entitlements }),
    }),
  });

/** Every role of the organization reads and checks; ADMIN names the organization. */
const readers = organizationScopes('readEntitlements');

builder.queryFields((t) => ({
  entitlements: t.field({
    type: [EntitlementType],
    description: "The caller's organization's entitlements (every role of the organization).",
    authScopes: readers,
    args: { organizationId: t.arg.id({ description: 'ADMIN keys name the organization.' }) },
    resolve: (_root, args, ctx) =>
      ctx.entitlements.of(ctx.db, scopedOrganization(ctx, args.organizationId), ctx.now()),
  }),
  checkFeature: t.field({
    type: FeatureCheckType,
    description:
      'Whether the organization may use the feature, its value, and when not, why and the cheapest plan that would allow it.',
    authScopes: readers,
    args: {
      feature: t.arg.string({ required: true }),
      organizationId: t.arg.id({ description: 'ADMIN keys name the organization.' }),
    },
    resolve: (_root, args, ctx) =>
      checkFeature(ctx, scopedOrganization(ctx, args.organizationId), args.feature),
  }),
  cheapestPlanWith: t.field({
    type: PlanType,
    nullable: true,
    description:
      "The cheapest active plan that grants the feature (in the caller's organization's currency). Public.",
    args: { feature: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const organizationId = ctx.principal?.organizationId;
      const currency = organizationId ? await currencyOf(ctx.db, organizationId) : null;
      return cheapestPlanWith(ctx.db, args.feature, currency);
    },
  }),
}));

builder.mutationField('setFeatureOverride', (t) =>
  t.field({
    type: FeatureOverrideSuccess,
    description:
      "ADMIN only. Grants or withdraws a feature for one organization, replacing its plan's grant until expiresAt.",
    authScopes: { admin: true },
    errors: {
      types: [NotFoundError, ValidationError],
      directResult: true,
      union: { name: 'FeatureOverrideResult' },
    },
    args: { input: t.arg({ type: FeatureOverrideInputType, required: true }) },
    resolve: async (_root, args, ctx) => ({
      entitlements: await setFeatureOverride(
        ctx,
        parseInput(featureOverrideInput, args.input, ['input']),
      ),
    }),
  }),
);

builder.objectField(OrganizationType, 'entitlements', (t) =>
  t.field({
    type: [EntitlementType],
    authScopes: { $any: { admin: true, member: 'readEntitlements' } },
    resolve: (organization, _args, ctx) => entitlementsOf(ctx.db, organization.id, ctx.now()),
  }),
);

builder.subscriptionField('entitlementsUpdated', (t) =>
  t.field({
    type: [EntitlementType],
    description: "The organization's entitlements, whenever its plan or overrides change.",
    args: { organizationId: t.arg.id() },
    authScopes: liveScopes,
    subscribe: (_root, args, ctx) =>
      ctx.live.stream('entitlements:updated', liveOrganization(ctx, args.organizationId)),
    resolve: (event: { organizationId: string }, _args, ctx) =>
      entitlementsOf(ctx.db, event.organizationId, ctx.now()),
  }),
);

// Signed entitlement tokens, for checks offline.

builder.objectType(FeatureNotEntitledError, {
  name: 'FeatureNotEntitledError',
  description: "The organization's plan does not grant the feature.",
  interfaces: [ErrorInterface],
  isTypeOf: isErrorNamed('FeatureNotEntitledError'),
  fields: (t) => ({
    feature: t.field({ type: FeatureType, resolve: (e, _a, ctx) => featureOf(e.featureKey, ctx) }),
    upgradeTo: t.field({
      type: PlanType,
      nullable: true,
      description: 'The cheapest active plan that grants it, if any.',
      resolve: (e, _a, ctx) =>
        e.upgradeToPlanId ? ctx.loaders.planById.load(e.upgradeToPlanId) : null,
    }),
  }),
});

const EntitlementTokenType = builder.objectRef<IssuedToken>('EntitlementToken').implement({
  description:
    "A signed, expiring statement of an organization's entitlements, checkable offline with the server's published keys (/.well-known/jwks.json).",
  fields: (t) => ({
    token: t.exposeString('token', { description: 'A compact JWS.' }),
    expiresAt: t.field({ type: 'DateTime', resolve: (r) => r.expiresAt }),
    keyId: t.exposeString('keyId'),
    deviceId: t.exposeString('deviceId', { nullable: true }),
  }),
});

const EntitlementTokenSuccess = builder
  .objectRef<{ token: IssuedToken }>('EntitlementTokenSuccess')
  .implement({
    fields: (t) => ({ token: t.field({ type: EntitlementTokenType, resolve: (r) => r.token }) }),
  });

builder.mutationField('issueEntitlementToken', (t) =>
  t.field({
    type: EntitlementTokenSuccess,
    description:
      "A signed entitlement token for the caller's organization (OWNER, VIEWER, INGEST), optionally bound to a device.",
    authScopes: { member: 'readEntitlements' },
    errors: {
      types: [FeatureNotEntitledError, ValidationError],
      directResult: true,
      union: { name: 'EntitlementTokenResult' },
    },
    args: { deviceId: t.arg.string() },
    resolve: async (_root, args, ctx) => ({
      token: await issueEntitlementToken(
        ctx,
        scopedOrganization(ctx, undefined),
        parseInput(entitlementTokenInput, { deviceId: args.deviceId }),
      ),
    }),
  }),
);

const DeviceActivationType = builder.objectRef<DeviceActivationRow>('DeviceActivation').implement({
  description: 'A device an entitlement token was issued to.',
  fields: (t) => ({
    deviceId: t.exposeString('deviceId'),
    firstSeenAt: t.field({ type: 'DateTime', resolve: (d) => d.firstSeenAt }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (d) => d.lastSeenAt }),
  }),
});

builder.objectField(OrganizationType, 'devices', (t) =>
  t.field({
    type: [DeviceActivationType],
    description: 'Devices its entitlement tokens were issued to, most recently seen first.',
    authScopes: { $any: { admin: true, member: 'readEntitlements' } },
    resolve: (organization, _args, ctx) => devicesOf(ctx, organization.id),
  }),
);
