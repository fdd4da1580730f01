import { applyEvent, isGauge, type RunningTotal } from '../../billing/aggregation.ts';
import { Decimal, formatDecimal } from '../../billing/decimal.ts';
import { type Period, startOfUtcMonth } from '../../billing/period.ts';
import { hardLimitOf, refusedByHardLimit, requestedBy } from '../../billing/quota.ts';
import type { Threshold } from '../../billing/thresholds.ts';
import type { Database, Transaction } from '../../db/client.ts';
import type { ThresholdAlertRow, UsageEventRow } from '../../db/schema.ts';
import { QuotaExceededError, ValidationError } from '../../errors.ts';
import { fireThresholds, type KnownFired } from '../alerts/threshold-store.ts';
import { closedMonths } from './closed-periods-store.ts';
import type { OrganizationTerms } from './meter-terms-store.ts';
import type { CheckedUsageEvent } from './usage-event-input.ts';
import { eventRow, insertEvents, storedEvents } from './usage-event-store.ts';
import {
  counted,
  groupKeyOf,
  lockGuardedTotals,
  mergeIntoTotal,
  type TotalGroup,
  writeGuardedTotal,
} from './usage-total-store.ts';

/** What became of one event of a request, in the request's order. */
export type IngestOutcome =
  | { kind: 'accepted'; event: UsageEventRow }
  | { kind: 'duplicate'; event: UsageEventRow }
  | { kind: 'rejected'; error: ValidationError | QuotaExceededError };

/** A period total after this ingestion changed it. */
interface ChangedTotal {
  meterKey: string;
  period: Period;
  total: RunningTotal;
  updatedAt: Date;
}

export interface IngestResult {
  outcomes: IngestOutcome[];
  changed: ChangedTotal[];
  /** Thresholds this ingestion crossed, in the order they fired. */
  alerts: ThresholdAlertRow[];
  /** Every threshold each changed total has reached (fired now or before). */
  reached: { meterKey: string; periodStart: Date; thresholds: Threshold[] }[];
}

/** A checked event of the request, at its position, with the total it changes. */
interface Candidate {
  index: number;
  event: CheckedUsageEvent;
  group: TotalGroup;
}

/** An event that claimed its key in this request and is to be stored. */
interface Claim {
  index: number;
  row: UsageEventRow;
  group: TotalGroup;
}

/** One ingestion in progress: what every step reads and the outcomes they fill in. */
interface Ingestion {
  tx: Transaction;
  terms: OrganizationTerms;
  receivedAt: Date;
  knownFired: KnownFired;
  groups: Map<string, TotalGroup>;
  outcomes: (IngestOutcome | undefined)[];
}

/**
 * Records checked usage events for one organization, exactly once, in one transaction:
 *
 * - the event rows claim their idempotency keys (unique per organization) in the same
 *   transaction that changes the period totals, so a key is never claimed without its event
 *   being counted; a key claimed before (stored, or earlier in the request) is a duplicate,
 *   counted zero more times and answered with the original event;
 * - totals under a HARD limit are locked and read first and each event is checked against the
 *   running value, so concurrent producers never take them past the limit; other totals are
 *   changed by one atomic upsert each that merges the request's aggregate into them;
 * - locks are always taken in the same order (totals by key, event rows by idempotency key), so
 *   concurrent requests cannot deadlock.
 *
 * `prechecked` holds, per position, a checked event or the ValidationError it failed.
 */
export async function ingestUsage(
  db: Database,
  terms: OrganizationTerms,
  prechecked: (CheckedUsageEvent | ValidationError)[],
  receivedAt: Date,
  knownFired: KnownFired = () => false,
): Promise<IngestResult> {
  const outcomes: (IngestOutcome | undefined)[] = prechecked.map((item) =>
    item instanceof Error ? { kind: 'rejected', error: item } : undefined,
  );
  const checked = prechecked.flatMap((item, index) =>
    item instanceof Error ? [] : [{ index, event: item }],
  );
  if (checked.length === 0) {
    return { outcomes: outcomes as IngestOutcome[], changed: [], alerts: [], reached: [] };
  }
  const groups = groupsOf(
    terms,
    checked.map((c) => c.event),
  );
  const candidates = checked.map((c) => ({
    ...c,
    group: groups.get(groupKeyOf(c.event)) as TotalGroup,
  }));
  const result = await db.transaction(async (tx) => {
    const ingestion: Ingestion = { tx, terms, receivedAt, knownFired, groups, outcomes };
    const { claims, locked } = await claimKeys(ingestion, candidates);
    const stored = await storeClaims(ingestion, claims);
    return updateTotals(ingestion, stored, locked);
  });
  return { outcomes: outcomes as IngestOutcome[], ...result };
}

/**
 * Decides each event under the locks it needs: a duplicate of a stored or earlier event, refused
 * (invoiced month, HARD limit), or claimed. Answers the claims and the guarded totals as locked.
 */
async function claimKeys(ingestion: Ingestion, candidates: Candidate[]) {
  const { tx, outcomes } = ingestion;
  const organizationId = ingestion.terms.organizationId;
  const closed = await closedGroups(ingestion);
  const guarded = [...ingestion.groups.values()].filter((g) => g.guarded && !closed.has(g));
  const locked = await lockGuardedTotals(tx, organizationId, guarded);
  const running = new Map(locked);
  // Under a HARD limit, or in an invoiced month, a retry must be known as one first.
  const lookedUp = candidates
    .filter((c) => c.group.guarded || closed.has(c.group))
    .map((c) => c.event.idempotencyKey);
  const known = await storedEvents(tx, organizationId, lookedUp);

  const claimed = new Map<string, UsageEventRow>();
  const claims: Claim[] = [];
  for (const { index, event, group } of candidates) {
    const original = known.get(event.idempotencyKey) ?? claimed.get(event.idempotencyKey);
    if (original) {
      outcomes[index] = { kind: 'duplicate', event: original };
      continue;
    }
    if (closed.has(group)) {
      outcomes[index] = { kind: 'rejected', error: periodInvoiced(event) };
      continue;
    }
    const row = eventRow(organizationId, event, ingestion.receivedAt);
    if (group.guarded) {
      const current = running.get(group.key) as RunningTotal;
      const next = applyEvent(group.meter.aggregation, current, counted(row));
      if (refusedByHardLimit(group.meter.quota, next.value)) {
        outcomes[index] = { kind: 'rejected', error: quotaExceeded(group, current, event) };
        continue;
      }
      running.set(group.key, next);
    }
    claimed.set(event.idempotencyKey, row);
    claims.push({ index, row, group });
  }
  return { claims, locked };
}

/**
 * Stores the claimed events. A concurrent request may have claimed a key since (one we did not
 * look up, or for a total we do not hold): the unique index decides, and the loser is a
 * duplicate of the winner. Answers the rows stored, by total.
 */
async function storeClaims(
  ingestion: Ingestion,
  claims: Claim[],
): Promise<Map<TotalGroup, UsageEventRow[]>> {
  const { tx, outcomes } = ingestion;
  const inserted = await insertEvents(
    tx,
    claims.map((c) => c.row),
  );
  const lostKeys = claims.filter((c) => !inserted.has(c.row.id)).map((c) => c.row.idempotencyKey);
  const winners = lostKeys.length
    ? await storedEvents(tx, ingestion.terms.organizationId, lostKeys)
    : new Map<string, UsageEventRow>();
  const storedByGroup = new Map<TotalGroup, UsageEventRow[]>();
  for (const { index, row, group } of claims) {
    if (!inserted.has(row.id)) {
      outcomes[index] = {
        kind: 'duplicate',
        event: winners.get(row.idempotencyKey) as UsageEventRow,
      };
      continue;
    }
    outcomes[index] = { kind: 'accepted', event: row };
    const rows = storedByGroup.get(group);
    if (rows) rows.push(row);
    else storedByGroup.set(group, [row]);
  }
  return storedByGroup;
}

/**
 * Adds the stored events to their totals, in lock order, and fires the thresholds they cross
 * in the same transaction: a threshold fires exactly when the usage crossing it commits.
 */
async function updateTotals(
  ingestion: Ingestion,
  storedByGroup: Map<TotalGroup, UsageEventRow[]>,
  locked: Map<string, RunningTotal>,
): Promise<Omit<IngestResult, 'outcomes'>> {
  const { tx, receivedAt } = ingestion;
  const organizationId = ingestion.terms.organizationId;
  const result: Omit<IngestResult, 'outcomes'> = { changed: [], alerts: [], reached: [] };
  for (const group of ingestion.groups.values()) {
    const rows = storedByGroup.get(group);
    if (!rows) continue;
    const total = group.guarded
      ? await writeGuardedTotal(
          tx,
          organizationId,
          group,
          locked.get(group.key) as RunningTotal,
          rows,
          receivedAt,
        )
      : await mergeIntoTotal(tx, organizationId, group, rows, receivedAt);
    const meterKey = group.meter.meter.key;
    result.changed.push({ meterKey, period: group.period, total, updatedAt: receivedAt });
    const crossing = await fireThresholds(tx, {
      organizationId,
      meterKey,
      period: group.period,
      used: total.value,
      limit: group.meter.quota.limit,
      at: receivedAt,
      knownFired: ingestion.knownFired,
    });
    result.alerts.push(...crossing.fired);
    result.reached.push({
      meterKey,
      periodStart: group.period.start,
      thresholds: crossing.reached,
    });
  }
  return result;
}

/** The groups of past months that are invoiced already: closed for usage. */
async function closedGroups(ingestion: Ingestion): Promise<Set<TotalGroup>> {
  const thisMonth = startOfUtcMonth(ingestion.receivedAt);
  const past = [...ingestion.groups.values()].filter((g) => g.period.start < thisMonth);
  if (past.length === 0) return new Set();
  const months = [...new Set(past.map((g) => g.period.start.getTime()))].map((t) => new Date(t));
  const invoiced = await closedMonths(ingestion.tx, ingestion.terms.organizationId, months);
  return new Set(past.filter((g) => invoiced.has(g.period.start.getTime())));
}

function periodInvoiced(event: CheckedUsageEvent): ValidationError {
  return ValidationError.forField(
    ['occurredAt'],
    `lies in the period ${event.period.start.toISOString().slice(0, 7)}, which is invoiced: closed for usage`,
  );
}

/** The (meter, period) totals a request touches, in lock order. */
function groupsOf(terms: OrganizationTerms, events: CheckedUsageEvent[]): Map<string, TotalGroup> {
  const groups = new Map<string, TotalGroup>();
  for (const event of events) {
    const key = groupKeyOf(event);
    if (groups.has(key)) continue;
    const meter = terms.meters.get(event.meterKey);
    if (!meter) throw new Error(`meter ${event.meterKey} has no terms`);
    groups.set(key, {
      key,
      meter,
      period: event.period,
      guarded: hardLimitOf(meter.quota) !== null,
    });
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function quotaExceeded(
  group: TotalGroup,
  current: RunningTotal,
  event: CheckedUsageEvent,
): QuotaExceededError {
  return new QuotaExceededError({
    meterKey: event.meterKey,
    limit: formatDecimal(group.meter.quota.limit ?? new Decimal(0)),
    used: formatDecimal(current.value),
    requested: formatDecimal(requestedBy(group.meter.aggregation, event.quantity)),
    resetsAt: isGauge(group.meter.aggregation) ? null : event.period.end,
  });
}
