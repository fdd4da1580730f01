import { Decimal } from '../billing/decimal.ts';
import type { ThresholdAlertRow } from '../db/schema.ts';
import { alertFromWire, type ThresholdAlertWire } from '../live/wire.ts';
import { listAlerts } from '../resolvers/alerts/alert-queries.ts';
import { pageArgsSchema } from '../resolvers/common/pagination.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { MeterType } from './catalog.ts';
import { connectionType } from './connections.ts';
import { liveOrganization, liveScopes } from './live.ts';

const ThresholdAlertType = builder.objectRef<ThresholdAlertRow>('ThresholdAlert').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    meter: t.field({
      type: MeterType,
      resolve: async (alert, _args, ctx) => {
        const meter = await ctx.loaders.meterByKey.load(alert.meterKey);
        if (!meter) throw new Error(`unknown meter ${alert.meterKey}`);
        return meter;
      },
    }),
    threshold: t.exposeInt('threshold', {
      description: '50, 75, 90 or 100 (percent of the limit).',
    }),
    used: t.field({ type: 'Decimal', resolve: (alert) => alert.used }),
    limit: t.field({ type: 'Decimal', resolve: (alert) => alert.limitQuantity }),
    pct: t.float({
      resolve: (alert) => {
        const limit = new Decimal(alert.limitQuantity);
        return limit.isZero()
          ? 100
          : new Decimal(alert.used).dividedBy(limit).times(100).toDecimalPlaces(4).toNumber();
      },
    }),
    periodStart: t.field({ type: 'DateTime', resolve: (alert) => alert.periodStart }),
    crossedAt: t.field({ type: 'DateTime', resolve: (alert) => alert.crossedAt }),
  }),
});

const ThresholdAlertConnection = connectionType('ThresholdAlert', ThresholdAlertType);

builder.queryField('alerts', (t) =>
  t.field({
    type: ThresholdAlertConnection,
    description: "The caller's organization's threshold alerts, newest first (OWNER, VIEWER).",
    authScopes: { member: 'readBilling' },
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      listAlerts(ctx, ctx.principal?.organizationId ?? '', parseInput(pageArgsSchema, args)),
  }),
);

builder.subscriptionField('thresholdCrossed', (t) =>
  t.field({
    type: ThresholdAlertType,
    description: 'Fires once per organization, meter, period and threshold (50, 75, 90, 100).',
    args: { organizationId: t.arg.id() },
    authScopes: liveScopes,
    subscribe: (_root, args, ctx) =>
      ctx.live.stream('threshold:crossed', liveOrganization(ctx, args.organizationId)),
    resolve: (wire: ThresholdAlertWire) => alertFromWire(wire),
  }),
);
