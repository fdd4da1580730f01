import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { Decimal, parseDecimal } from '../../billing/decimal.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import {
  checkQuota,
  type MeterUsageFigures,
  type QuotaCheckFigures,
} from '../../billing/usage-evaluation.ts';
import type { RequestContext } from '../../context.ts';
import { queryRows } from '../../db/raw.ts';
import { meters } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';

/** The caller's usage, every meter or one; an unknown meter is a ValidationError. */
export async function usageOf(
  ctx: RequestContext,
  organizationId: string,
  meterKey?: string | null,
): Promise<MeterUsageFigures[]> {
  const all = await ctx.loaders.usageByOrganizationId.load(organizationId);
  if (!meterKey) return all;
  const one = all.filter((usage) => usage.meterKey === meterKey);
  if (one.length === 0) throw unknownMeter(meterKey);
  return one;
}

export const checkQuotaInput = z.object({
  meter: z.string().min(1).max(64),
  quantity: z.string().max(64),
});

/** May this organization record `quantity` of `meter` now? A read; nothing is reserved. */
export async function checkQuotaFor(
  ctx: RequestContext,
  organizationId: string,
  input: z.infer<typeof checkQuotaInput>,
): Promise<QuotaCheckFigures & { meterKey: string }> {
  const quantity = parseDecimal(input.quantity);
  if (!quantity.ok) throw ValidationError.forField(['quantity'], quantity.reason);
  if (!quantity.value.greaterThan(0))
    throw ValidationError.forField(['quantity'], 'must be greater than 0');
  const terms = await ctx.usage.cache.terms(ctx.db, organizationId);
  const meter = terms?.meters.get(input.meter);
  if (!terms || !meter) throw unknownMeter(input.meter);
  ctx.loaders.meterByKey.prime(meter.meter.key, meter.meter);
  const used = await ctx.usage.cache.total(
    ctx.db,
    organizationId,
    input.meter,
    calendarMonthOf(ctx.now()).start,
  );
  return {
    meterKey: input.meter,
    ...checkQuota({
      meterKey: input.meter,
      unit: meter.meter.unit,
      aggregation: meter.aggregation,
      used,
      quota: meter.quota,
      quantity: quantity.value,
    }),
  };
}

const BUCKET_MS = { HOUR: 3_600_000, DAY: 86_400_000 } as const;
const MAX_POINTS = 1000;

export const usageHistoryInput = z
  .object({
    meter: z.string().min(1).max(64),
    from: z.date(),
    to: z.date(),
    granularity: z.enum(['HOUR', 'DAY']),
  })
  .refine((input) => input.from < input.to, { path: ['to'], message: 'must be after from' })
  .refine(
    (input) =>
      (input.to.getTime() - input.from.getTime()) / BUCKET_MS[input.granularity] <= MAX_POINTS,
    { path: ['to'], message: `the range may hold at most ${MAX_POINTS} points` },
  );

export interface UsagePoint {
  start: Date;
  quantity: Decimal;
}

/**
 * Usage of one meter per hour or day (UTC) in [from, to), aggregated by the meter's aggregation
 * within each bucket; a bucket without events is 0.
 */
export async function usageHistory(
  ctx: RequestContext,
  organizationId: string,
  input: z.infer<typeof usageHistoryInput>,
): Promise<UsagePoint[]> {
  const [meter] = await ctx.db.select().from(meters).where(eq(meters.key, input.meter));
  if (!meter) throw unknownMeter(input.meter);
  const unit = input.granularity === 'HOUR' ? 'hour' : 'day';
  const aggregate = {
    SUM: sql`sum(quantity)`,
    COUNT: sql`count(*)`,
    MAX: sql`max(quantity)`,
    LAST: sql`(array_agg(quantity order by occurred_at desc, id desc))[1]`,
  }[meter.aggregation];
  const rows = await queryRows<{ bucket: string | Date; quantity: string | number }>(
    ctx.db,
    sql`select date_trunc(${unit}, occurred_at, 'UTC') as bucket, ${aggregate}::text as quantity
        from usage_events
        where organization_id = ${organizationId} and meter_key = ${input.meter}
          and occurred_at >= ${input.from.toISOString()} and occurred_at < ${input.to.toISOString()}
        group by 1`,
  );
  const byBucket = new Map(
    rows.map((row) => [new Date(row.bucket).getTime(), new Decimal(String(row.quantity))]),
  );
  const points: UsagePoint[] = [];
  const step = BUCKET_MS[input.granularity];
  for (let t = truncate(input.from, step); t < input.to.getTime(); t += step) {
    points.push({ start: new Date(t), quantity: byBucket.get(t) ?? new Decimal(0) });
  }
  return points;
}

/** Start of the UTC hour or day containing `at` (whole days and hours since the epoch). */
function truncate(at: Date, step: number): number {
  return Math.floor(at.getTime() / step) * step;
}

function unknownMeter(meterKey: string): ValidationError {
  return ValidationError.forField(['meter'], `unknown meter "${meterKey}"; see the meters query`);
}
