import { sql } from 'drizzle-orm';
import { Decimal, formatDecimal } from '../../billing/decimal.ts';
import { calendarMonthOf } from '../../billing/period.ts';
import type { Database } from '../../db/client.ts';
import { queryRows } from '../../db/raw.ts';
import { usageTotals } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import type { Progress } from '../common/progress.ts';
import { totalRow } from './usage-total-store.ts';

export interface RollupReport {
  /** The UTC day snapshotted, YYYY-MM-DD. */
  day: string;
  snapshots: number;
  totalsChecked: number;
  repaired: TotalRepair[];
}

interface TotalRepair {
  organizationId: string;
  meterKey: string;
  periodStart: Date;
  stored: { value: string; eventCount: number };
  fromEvents: { value: string; eventCount: number };
}

/** The aggregate of a meter's events, in SQL, by the meter's aggregation. */
const AGGREGATE = sql`case m.aggregation
    when 'SUM' then sum(e.quantity)
    when 'COUNT' then count(e.id)::numeric
    when 'MAX' then max(e.quantity)
    else (array_agg(e.quantity order by e.occurred_at desc, e.id desc))[1]
  end`;

/** The periods whose totals can still change at `now`: this month, and the last while in grace. */
export function openPeriodsAt(now: Date, graceMs: number): Date[] {
  const current = calendarMonthOf(now).start;
  const previous = calendarMonthOf(new Date(current.getTime() - 1)).start;
  return now.getTime() < current.getTime() + graceMs ? [previous, current] : [current];
}

/**
 * The daily rollup: a snapshot of every (organization, meter) for one UTC day, then a check that
 * every stored period total of the periods still open equals what its events add up to. A total
 * that does not is logged loudly and repaired, under the same lock ingestion takes, so a repair
 * never races a producer. Running it twice changes nothing more.
 */
export async function rollupUsage(
  db: Database,
  log: Logger,
  options: { day: string; openPeriods: Date[]; progress?: Progress },
): Promise<RollupReport> {
  const dayStart = new Date(`${options.day}T00:00:00.000Z`);
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  options.progress?.('snapshots', 0, 1);
  const [written] = await queryRows<{ n: number }>(
    db,
    sql`with day_usage as (
          select e.organization_id, e.meter_key, ${AGGREGATE} as value, count(e.id) as event_count
          from usage_events e join meters m on m.key = e.meter_key
          where e.occurred_at >= ${dayStart.toISOString()} and e.occurred_at < ${dayEnd.toISOString()}
          group by e.organization_id, e.meter_key, m.aggregation
        ), inserted as (
          insert into usage_daily_snapshots (organization_id, meter_key, day, value, event_count)
          select o.id, m.key, ${options.day}::date, coalesce(d.value, 0), coalesce(d.event_count, 0)
          from organizations o cross join meters m
          left join day_usage d on d.organization_id = o.id and d.meter_key = m.key
          on conflict (organization_id, meter_key, day)
            do update set value = excluded.value, event_count = excluded.event_count
          returning 1
        )
        select count(*)::int as n from inserted`,
  );
  options.progress?.('snapshots', 1, 1);

  const periodList = sql.join(
    options.openPeriods.map((period) => sql`${period.toISOString()}::timestamptz`),
    sql`, `,
  );
  const suspects = await queryRows<{
    organization_id: string;
    meter_key: string;
    period_start: string | Date;
    stored_value: string | null;
    stored_count: string | number | null;
    value: string | null;
    event_count: string | number | null;
  }>(
    db,
    sql`with from_events as (
          select e.organization_id, e.meter_key, e.period_start, ${AGGREGATE} as value, count(e.id) as event_count
          from usage_events e join meters m on m.key = e.meter_key
          where e.period_start in (${periodList})
          group by e.organization_id, e.meter_key, e.period_start, m.aggregation
        ), stored as (
          select organization_id, meter_key, period_start, value, event_count from usage_totals
          where period_start in (${periodList})
        )
        select coalesce(s.organization_id, f.organization_id) as organization_id,
               coalesce(s.meter_key, f.meter_key) as meter_key,
               coalesce(s.period_start, f.period_start) as period_start,
               s.value::text as stored_value, s.event_count as stored_count,
               f.value::text as value, f.event_count as event_count
        from stored s full outer join from_events f
          on f.organization_id = s.organization_id and f.meter_key = s.meter_key and f.period_start = s.period_start
        where coalesce(s.value, 0) <> coalesce(f.value, 0) or coalesce(s.event_count, 0) <> coalesce(f.event_count, 0)`,
  );
  const [checked] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from usage_totals
        where period_start in (${periodList})`,
  );

  const repaired: TotalRepair[] = [];
  let done = 0;
  for (const suspect of suspects) {
    options.progress?.('repairs', done++, suspects.length);
    const repair = await repairTotal(
      db,
      suspect.organization_id,
      suspect.meter_key,
      new Date(suspect.period_start),
    );
    if (!repair) continue;
    repaired.push(repair);
    log.error(
      { ...repair, periodStart: repair.periodStart.toISOString() },
      'USAGE TOTAL MISMATCH: the stored period total did not equal its events; repaired from the events',
    );
  }
  options.progress?.('repairs', suspects.length, suspects.length);
  return { day: options.day, snapshots: written?.n ?? 0, totalsChecked: checked?.n ?? 0, repaired };
}

/**
 * Recomputes one period total from its events while holding its row lock (the lock ingestion
 * takes), and writes it when it differs. Null when it was right after all (a producer was mid-way
 * when the check looked).
 */
async function repairTotal(
  db: Database,
  organizationId: string,
  meterKey: string,
  periodStart: Date,
): Promise<TotalRepair | null> {
  return db.transaction(async (tx) => {
    await tx
      .insert(usageTotals)
      .values({ organizationId, meterKey, periodStart })
      .onConflictDoNothing();
    const [stored] = await tx
      .select()
      .from(usageTotals)
      .where(totalRow(organizationId, meterKey, periodStart))
      .for('update');
    if (!stored) return null;
    const [actual] = await queryRows<{
      value: string | null;
      event_count: string | number;
      last_occurred_at: string | Date | null;
      last_event_id: string | null;
    }>(
      tx,
      sql`select ${AGGREGATE}::text as value, count(e.id) as event_count,
                 (array_agg(e.occurred_at order by e.occurred_at desc, e.id desc))[1] as last_occurred_at,
                 (array_agg(e.id order by e.occurred_at desc, e.id desc))[1] as last_event_id
          from usage_events e join meters m on m.key = e.meter_key
          where e.organization_id = ${organizationId} and e.meter_key = ${meterKey}
            and e.period_start = ${periodStart.toISOString()}
          group by m.aggregation`,
    );
    const value = new Decimal(actual?.value ?? 0);
    const eventCount = Number(actual?.event_count ?? 0);
    if (value.equals(stored.value) && eventCount === stored.eventCount) return null;
    await tx
      .update(usageTotals)
      .set({
        value: formatDecimal(value),
        eventCount,
        lastOccurredAt: actual?.last_occurred_at ? new Date(actual.last_occurred_at) : null,
        lastEventId: actual?.last_event_id ?? null,
        updatedAt: new Date(),
      })
      .where(totalRow(organizationId, meterKey, periodStart));
    return {
      organizationId,
      meterKey,
      periodStart,
      stored: { value: formatDecimal(stored.value), eventCount: stored.eventCount },
      fromEvents: { value: formatDecimal(value), eventCount },
    };
  });
}
