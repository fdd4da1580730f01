import type { MeterUsageFigures, QuotaCheckFigures } from '../billing/usage-evaluation.ts';
import type { RequestContext } from '../context.ts';
import type { UsageEventRow } from '../db/schema.ts';
import { QuotaExceededError, ValidationError } from '../errors.ts';
import { type MeterUsageWire, usageFromWire } from '../live/wire.ts';
import { upgradeForRefusedUsage } from '../resolvers/entitlements/quota-upgrades.ts';
import { recordUsage, recordUsageBatch } from '../resolvers/metering/record-usage.ts';
import { USAGE_EVENT_FIELDS } from '../resolvers/metering/usage-event-input.ts';
import type { UsagePoint } from '../resolvers/metering/usage-queries.ts';
import {
  checkQuotaFor,
  checkQuotaInput,
  usageHistory,
  usageHistoryInput,
  usageOf,
} from '../resolvers/metering/usage-queries.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { LimitModeEnum, MeterType, PlanType } from './catalog.ts';
import { asErrorData, ErrorInterface, isErrorNamed } from './error-types.ts';
import { liveOrganization, liveScopes } from './live.ts';
import { MoneyType } from './money-type.ts';
import { OrganizationType } from './organizations.ts';

const QuotaStatusEnum = builder.enumType('QuotaStatus', {
  values: ['OK', 'WARNING', 'EXCEEDED'] as const,
});
const GranularityEnum = builder.enumType('Granularity', { values: ['HOUR', 'DAY'] as const });

async function meterOf(key: string, ctx: RequestContext) {
  const meter = await ctx.loaders.meterByKey.load(key);
  if (!meter) throw new Error(`unknown meter ${key}`);
  return meter;
}

export const MeterUsageType = builder.objectRef<MeterUsageFigures>('MeterUsage').implement({
  fields: (t) => ({
    meter: t.field({ type: MeterType, resolve: (u, _a, ctx) => meterOf(u.meterKey, ctx) }),
    used: t.field({
      type: 'Decimal',
      description: 'Aggregated usage in the current period.',
      resolve: (u) => u.used,
    }),
    limit: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'The effective limit (plan quota or organization override); null means unlimited.',
      resolve: (u) => u.limit,
    }),
    pct: t.float({
      nullable: true,
      description: 'used / limit * 100; null when unlimited.',
      resolve: (u) => u.pct,
    }),
    remaining: t.field({ type: 'Decimal', nullable: true, resolve: (u) => u.remaining }),
    status: t.field({ type: QuotaStatusEnum, resolve: (u) => u.status }),
    mode: t.field({ type: LimitModeEnum, resolve: (u) => u.mode }),
    blocked: t.boolean({
      description: 'True when mode is HARD and the limit is reached: further usage is refused.',
      resolve: (u) => u.blocked,
    }),
    projected: t.field({
      type: 'Decimal',
      description: 'Linear projection of usage to the end of the period.',
      resolve: (u) => u.projected,
    }),
    onTrack: t.boolean({
      description: 'True when the projection stays within the limit.',
      resolve: (u) => u.onTrack,
    }),
    overage: t.field({
      type: 'Decimal',
      description: 'Units above the included quantity.',
      resolve: (u) => u.overage,
    }),
    overageCost: t.field({
      type: MoneyType,
      description: 'What the overage costs so far.',
      resolve: (u) => u.overageCost,
    }),
    periodStart: t.field({ type: 'DateTime', resolve: (u) => u.periodStart }),
    periodEnd: t.field({ type: 'DateTime', resolve: (u) => u.periodEnd }),
    updatedAt: t.field({ type: 'DateTime', resolve: (u) => u.updatedAt }),
  }),
});

const UsageEventType = builder.objectRef<UsageEventRow>('UsageEvent').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    meter: t.field({ type: MeterType, resolve: (e, _a, ctx) => meterOf(e.meterKey, ctx) }),
    quantity: t.field({ type: 'Decimal', resolve: (e) => e.quantity }),
    idempotencyKey: t.exposeString('idempotencyKey'),
    occurredAt: t.field({ type: 'DateTime', resolve: (e) => e.occurredAt }),
    receivedAt: t.field({ type: 'DateTime', resolve: (e) => e.receivedAt }),
    metadata: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.metadata }),
  }),
});

const QuotaCheckType = builder
  .objectRef<QuotaCheckFigures & { meterKey: string }>('QuotaCheck')
  .implement({
    fields: (t) => ({
      allowed: t.exposeBoolean('allowed'),
      meter: t.field({ type: MeterType, resolve: (c, _a, ctx) => meterOf(c.meterKey, ctx) }),
      requested: t.field({ type: 'Decimal', resolve: (c) => c.requested }),
      used: t.field({ type: 'Decimal', resolve: (c) => c.used }),
      limit: t.field({ type: 'Decimal', nullable: true, resolve: (c) => c.limit }),
      remaining: t.field({ type: 'Decimal', nullable: true, resolve: (c) => c.remaining }),
      mode: t.field({ type: LimitModeEnum, resolve: (c) => c.mode }),
      reason: t.exposeString('reason', {
        nullable: true,
        description: 'Why it is not allowed, for people.',
      }),
    }),
  });

const UsagePointType = builder.objectRef<UsagePoint>('UsagePoint').implement({
  fields: (t) => ({
    start: t.field({ type: 'DateTime', resolve: (p) => p.start }),
    quantity: t.field({ type: 'Decimal', resolve: (p) => p.quantity }),
  }),
});

builder.objectType(QuotaExceededError, {
  name: 'QuotaExceededError',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorNamed('QuotaExceededError'),
  fields: (t) => ({
    meter: t.field({ type: MeterType, resolve: (e, _a, ctx) => meterOf(e.meterKey, ctx) }),
    limit: t.field({ type: 'Decimal', resolve: (e) => e.limit }),
    used: t.field({ type: 'Decimal', resolve: (e) => e.used }),
    requested: t.field({ type: 'Decimal', resolve: (e) => e.requested }),
    resetsAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        "When a counter's period ends; null for a gauge (MAX, LAST), which does not reset by itself.",
      resolve: (e) => e.resetsAt,
    }),
    upgradeTo: t.field({
      type: PlanType,
      nullable: true,
      description: 'The cheapest active plan whose quota would have allowed this, if any.',
      resolve: async (e, _a, ctx) =>
        upgradeForRefusedUsage(
          ctx,
          ctx.principal?.organizationId ?? null,
          await meterOf(e.meterKey, ctx),
          e,
        ),
    }),
  }),
});

/** Made from the one definition of a usage event, which REST /v1/usage checks against too. */
const RecordUsageInput = builder.inputType('RecordUsageInput', {
  fields: (t) =>
    Object.fromEntries(
      Object.entries(USAGE_EVENT_FIELDS).map(([name, field]) => [
        name,
        t.field({
          type: field.scalar,
          required: field.required,
          ...(field.description ? { description: field.description } : {}),
        }),
      ]),
    ),
});

const RecordUsageSuccess = builder
  .objectRef<Awaited<ReturnType<typeof recordUsage>>>('RecordUsageSuccess')
  .implement({
    fields: (t) => ({
      event: t.field({ type: UsageEventType, resolve: (r) => r.event }),
      usage: t.field({ type: MeterUsageType, resolve: (r) => r.usage }),
      duplicate: t.exposeBoolean('duplicate', {
        description: 'True when the idempotency key was seen before: nothing was counted again.',
      }),
    }),
  });

const BatchRejection = builder
  .objectRef<{ index: number; error: Error }>('BatchRejection')
  .implement({
    fields: (t) => ({
      index: t.exposeInt('index'),
      // graphql-js treats a returned Error instance as a thrown one: hand over a plain copy.
      error: t.field({ type: ErrorInterface, resolve: (r) => asErrorData(r.error) }),
    }),
  });

const RecordUsageBatchSuccess = builder
  .objectRef<Awaited<ReturnType<typeof recordUsageBatch>>>('RecordUsageBatchSuccess')
  .implement({
    fields: (t) => ({
      accepted: t.exposeInt('accepted'),
      duplicates: t.exposeInt('duplicates'),
      rejected: t.field({ type: [BatchRejection], resolve: (r) => r.rejected }),
      usage: t.field({ type: [MeterUsageType], resolve: (r) => r.usage }),
    }),
  });

/** The organization a member key acts for; scopes guarantee it is set. */
function callerOrganization(ctx: RequestContext): string {
  const organizationId = ctx.principal?.organizationId;
  if (!organizationId)
    throw new Error('organization-scoped field resolved without an organization');
  return organizationId;
}

builder.queryFields((t) => ({
  usage: t.field({
    type: [MeterUsageType],
    description: "Month-to-date usage of the caller's organization, every meter or one.",
    authScopes: { member: 'readUsage' },
    args: { meter: t.arg.string() },
    resolve: (_root, args, ctx) => usageOf(ctx, callerOrganization(ctx), args.meter),
  }),
  checkQuota: t.field({
    type: QuotaCheckType,
    description: 'May the caller record this quantity now? A read: nothing is reserved.',
    authScopes: { member: 'readUsage' },
    args: {
      meter: t.arg.string({ required: true }),
      quantity: t.arg({ type: 'Decimal', defaultValue: '1' }),
    },
    resolve: (_root, args, ctx) =>
      checkQuotaFor(
        ctx,
        callerOrganization(ctx),
        parseInput(checkQuotaInput, { meter: args.meter, quantity: args.quantity ?? '1' }),
      ),
  }),
  usageHistory: t.field({
    type: [UsagePointType],
    description: 'Usage of one meter per hour or day (UTC) in [from, to); at most 1,000 points.',
    authScopes: { member: 'readUsage' },
    args: {
      meter: t.arg.string({ required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      granularity: t.arg({ type: GranularityEnum, defaultValue: 'DAY' }),
    },
    resolve: (_root, args, ctx) =>
      usageHistory(
        ctx,
        callerOrganization(ctx),
        parseInput(usageHistoryInput, { ...args, granularity: args.granularity ?? 'DAY' }),
      ),
  }),
}));

builder.objectField(OrganizationType, 'usage', (t) =>
  t.field({
    type: [MeterUsageType],
    authScopes: { $any: { admin: true, member: 'readUsage' } },
    args: { meter: t.arg.string() },
    resolve: (organization, args, ctx) => usageOf(ctx, organization.id, args.meter),
  }),
);

builder.mutationFields((t) => ({
  recordUsage: t.field({
    type: RecordUsageSuccess,
    description:
      'Records one usage event (OWNER, INGEST). A retry with the same idempotency key counts once.',
    authScopes: { member: 'recordUsage' },
    errors: {
      types: [QuotaExceededError, ValidationError],
      directResult: true,
      union: { name: 'RecordUsageResult' },
    },
    args: { input: t.arg({ type: RecordUsageInput, required: true }) },
    resolve: (_root, args, ctx) => recordUsage(ctx, callerOrganization(ctx), args.input),
  }),
  recordUsageBatch: t.field({
    type: RecordUsageBatchSuccess,
    description:
      'Records up to 1,000 events; each refused one is reported by index, the others are stored.',
    authScopes: { member: 'recordUsage' },
    errors: {
      types: [ValidationError],
      directResult: true,
      union: { name: 'RecordUsageBatchResult' },
    },
    args: { input: t.arg({ type: [RecordUsageInput], required: true }) },
    resolve: (_root, args, ctx) => recordUsageBatch(ctx, callerOrganization(ctx), args.input),
  }),
}));

builder.subscriptionField('usageUpdated', (t) =>
  t.field({
    type: MeterUsageType,
    description:
      'Usage, live; coalesced per meter (at most one message per LIVE_USAGE_INTERVAL_MS, 250 ms by default), the latest value always delivered.',
    args: { meter: t.arg.string(), organizationId: t.arg.id() },
    authScopes: liveScopes,
    subscribe: (_root, args, ctx) =>
      ctx.live.stream('usage:updated', liveOrganization(ctx, args.organizationId), {
        ...(args.meter ? { accept: (u: MeterUsageWire) => u.meterKey === args.meter } : {}),
        throttle: { intervalMs: ctx.config.live.usageIntervalMs, keyOf: (u) => u.meterKey },
      }),
    resolve: (wire: MeterUsageWire) => usageFromWire(wire),
  }),
);
