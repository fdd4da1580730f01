import { calendarMonthOf } from '../billing/period.ts';
import { evaluateUsage, type MeterUsageFigures } from '../billing/usage.ts';
import type { RequestContext } from '../context.ts';
import type { UsageEventRow } from '../db/schema.ts';
import { ValidationError } from '../errors.ts';
import { loadOrganizationTerms, type OrganizationTerms, usagePeriod } from './terms.ts';
import { loadUsage } from './usage.ts';
import { type IngestOutcome, type IngestResult, ingestUsage } from './usage-ingest.ts';
import { type CheckedUsageEvent, checkUsageEvent } from './usage-input.ts';

/** Most events in one recordUsageBatch. */
export const MAX_GRAPHQL_BATCH = 1000;

export interface RecordedEvents extends IngestResult {
  /** Usage this period of the meters the request touched, after it. */
  usage: MeterUsageFigures[];
}

/**
 * Checks each event on its own (a bad one is rejected by position, the others go on) and records
 * the good ones for the organization; answers what became of each and the usage after.
 */
export async function recordUsageEvents(
  ctx: RequestContext,
  organizationId: string,
  inputs: readonly unknown[],
): Promise<RecordedEvents> {
  const now = ctx.now();
  const terms = (await loadOrganizationTerms(ctx.db, [organizationId])).get(organizationId);
  if (!terms) throw new Error(`organization ${organizationId} has no terms`);
  for (const meter of terms.meters.values())
    ctx.loaders.meterByKey.prime(meter.meter.key, meter.meter);

  const options = {
    now,
    graceMs: ctx.config.usage.graceMs,
    knownMeters: new Set(terms.meters.keys()),
  };
  const prechecked = inputs.map((input): CheckedUsageEvent | ValidationError => {
    try {
      return checkUsageEvent(input, options);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
  });
  const result = await ingestUsage(ctx.db, terms, prechecked, now);
  const summary = summarize(result.outcomes);
  ctx.log.debug(
    {
      organizationId,
      accepted: summary.accepted,
      duplicates: summary.duplicates,
      rejected: summary.rejected.length,
    },
    'usage recorded',
  );
  return { ...result, usage: await usageAfter(ctx, terms, result, now) };
}

/**
 * Usage of the meters a request named, this period: from the totals the ingestion returned where
 * it changed them, read afresh otherwise (duplicates only, or late events of the last period).
 */
async function usageAfter(
  ctx: RequestContext,
  terms: OrganizationTerms,
  result: IngestResult,
  now: Date,
): Promise<MeterUsageFigures[]> {
  const named = new Set(
    result.outcomes.flatMap((o) => (o.kind === 'rejected' ? [] : [o.event.meterKey])),
  );
  const month = calendarMonthOf(now).start.getTime();
  const fresh = new Map(
    result.changed.filter((c) => c.period.start.getTime() === month).map((c) => [c.meterKey, c]),
  );
  if ([...named].some((meterKey) => !fresh.has(meterKey))) {
    const all =
      (await loadUsage(ctx.db, [terms.organizationId], now)).get(terms.organizationId) ?? [];
    return all.filter((u) => named.has(u.meterKey));
  }
  const period = usagePeriod(terms, now);
  return [...named].sort().map((meterKey) => {
    const changed = fresh.get(meterKey);
    const meter = terms.meters.get(meterKey);
    if (!changed || !meter) throw new Error(`no total for meter ${meterKey}`);
    return evaluateUsage({
      meterKey,
      aggregation: meter.aggregation,
      used: changed.total.value,
      quota: meter.quota,
      period,
      now,
      currency: terms.currency,
      updatedAt: changed.updatedAt,
    });
  });
}

export interface RecordedUsage {
  event: UsageEventRow;
  duplicate: boolean;
  usage: MeterUsageFigures;
}

/** One event; a refused one throws its QuotaExceededError or ValidationError. */
export async function recordUsage(
  ctx: RequestContext,
  organizationId: string,
  input: unknown,
): Promise<RecordedUsage> {
  const { outcomes, usage } = await recordUsageEvents(ctx, organizationId, [input]);
  const [outcome] = outcomes;
  if (!outcome) throw new Error('ingestion answered nothing');
  if (outcome.kind === 'rejected') throw outcome.error;
  const [meterUsage] = usage;
  if (!meterUsage) throw new Error(`no usage for meter ${outcome.event.meterKey}`);
  return { event: outcome.event, duplicate: outcome.kind === 'duplicate', usage: meterUsage };
}

export interface RecordedBatch {
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: Error }[];
  /** Usage of the meters the batch named, after it. */
  usage: MeterUsageFigures[];
}

export async function recordUsageBatch(
  ctx: RequestContext,
  organizationId: string,
  inputs: readonly unknown[],
): Promise<RecordedBatch> {
  if (inputs.length === 0)
    throw ValidationError.forField(['input'], 'must hold at least one event');
  if (inputs.length > MAX_GRAPHQL_BATCH) {
    throw ValidationError.forField(
      ['input'],
      `must hold at most ${MAX_GRAPHQL_BATCH} events (got ${inputs.length}); nothing was recorded`,
    );
  }
  const { outcomes, usage } = await recordUsageEvents(ctx, organizationId, inputs);
  return { ...summarize(outcomes), usage };
}

export function summarize(outcomes: IngestOutcome[]): Omit<RecordedBatch, 'usage'> {
  let accepted = 0;
  let duplicates = 0;
  const rejected: RecordedBatch['rejected'] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome.kind === 'accepted') accepted++;
    else if (outcome.kind === 'duplicate') duplicates++;
    else rejected.push({ index, error: outcome.error });
  });
  return { accepted, duplicates, rejected };
}
