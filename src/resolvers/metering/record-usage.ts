import { calendarMonthOf } from '../../billing/period.ts';
import { evaluateUsage, type MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { RequestContext, UsageServices } from '../../context.ts';
import type { UsageEventRow } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import { alertsFired } from '../alerts/alert-dispatch.ts';
import { announceUsage } from '../live/announcements.ts';
import { IngestQueue } from './ingest-queue.ts';
import { ingestIsolatingBadEvents } from './isolated-ingest.ts';
import { type OrganizationTerms, usagePeriod } from './meter-terms-store.ts';
import { type CheckedUsageEvent, checkUsageEvent } from './usage-event-input.ts';
import { loadUsage } from './usage-figures-store.ts';
import type { IngestOutcome, IngestResult } from './usage-ingest-store.ts';

/** Most events in one recordUsageBatch. */
const MAX_GRAPHQL_BATCH = 1000;

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
  const terms = await ctx.usage.cache.terms(ctx.db, organizationId);
  if (!terms) throw new Error(`organization ${organizationId} has no terms`);
  for (const meter of terms.meters.values())
    ctx.loaders.meterByKey.prime(meter.meter.key, meter.meter);

  const options = {
    now,
    graceMs: ctx.config.usage.graceMs,
    knownMeters: new Set(terms.meters.keys()),
    organizationCreatedAt: terms.createdAt,
  };
  const prechecked = inputs.map((input): CheckedUsageEvent | ValidationError => {
    try {
      return checkUsageEvent(input, options);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
  });
  const fired = ctx.usage.firedThresholds;
  const result = await ingestIsolatingBadEvents(
    ctx.db,
    terms,
    prechecked,
    now,
    fired.knownFired(organizationId),
  );
  for (const changed of result.changed) {
    ctx.usage.cache.noteTotal(
      organizationId,
      changed.meterKey,
      changed.period.start,
      changed.total.value,
    );
  }
  for (const r of result.reached)
    fired.remember(organizationId, r.meterKey, r.periodStart, r.thresholds);
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
  const usage = await usageAfter(ctx, terms, result, now);
  const month = calendarMonthOf(now).start.getTime();
  const changedNow = new Set(
    result.changed.filter((c) => c.period.start.getTime() === month).map((c) => c.meterKey),
  );
  announceUsage(
    ctx,
    organizationId,
    usage.filter((u) => changedNow.has(u.meterKey)),
  );
  await alertsFired(ctx, organizationId, result.alerts);
  return { ...result, usage };
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

/**
 * One event; a refused one throws its QuotaExceededError or ValidationError. Single events of
 * one organization arriving together are written together (see IngestQueue).
 */
export async function recordUsage(
  ctx: RequestContext,
  organizationId: string,
  input: unknown,
): Promise<RecordedUsage> {
  const { outcome, usage } = await ctx.usage.singleEvents.submit(organizationId, { ctx, input });
  if (outcome.kind === 'rejected') throw outcome.error;
  const meterUsage = usage.find((u) => u.meterKey === outcome.event.meterKey);
  if (!meterUsage) throw new Error(`no usage for meter ${outcome.event.meterKey}`);
  return { event: outcome.event, duplicate: outcome.kind === 'duplicate', usage: meterUsage };
}

/** The queue behind recordUsage; one per process. */
export function createSingleEventQueue(): UsageServices['singleEvents'] {
  return new IngestQueue(async (organizationId, items) => {
    const [first] = items;
    if (!first) return [];
    // The transaction runs in the first caller's context (its log and request id).
    const recorded = await recordUsageEvents(
      first.ctx,
      organizationId,
      items.map((item) => item.input),
    );
    return recorded.outcomes.map((outcome) => ({ outcome, usage: recorded.usage }));
  }, MAX_GRAPHQL_BATCH);
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
