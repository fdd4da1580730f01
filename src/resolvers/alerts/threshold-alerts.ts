import { and, desc, eq, lt } from 'drizzle-orm';
import { type Decimal, formatDecimal } from '../../billing/decimal.ts';
import type { Period } from '../../billing/period.ts';
import { type Threshold, thresholdsReached } from '../../billing/thresholds.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type ThresholdAlertRow, thresholdAlerts } from '../../db/schema.ts';
import {
  type Connection,
  decodeCursor,
  type PageArgs,
  toConnection,
} from '../shared/pagination.ts';

/** Tells which thresholds are known to have fired already (see FiredThresholds). */
export type KnownFired = (meterKey: string, periodStart: Date, threshold: Threshold) => boolean;

/**
 * Fires the thresholds `used` has reached against `limit` for a meter's period, each exactly
 * once: the unique (organization, meter, period, threshold) row decides, inside the caller's
 * transaction. Answers the ones this call fired, lowest first, and every one reached.
 */
export async function fireThresholds(
  tx: Executor,
  input: {
    organizationId: string;
    meterKey: string;
    period: Period;
    used: Decimal;
    limit: Decimal | null;
    at: Date;
    knownFired: KnownFired;
  },
): Promise<{ fired: ThresholdAlertRow[]; reached: Threshold[] }> {
  const reached = thresholdsReached(input.used, input.limit);
  const candidates = reached.filter(
    (t) => !input.knownFired(input.meterKey, input.period.start, t),
  );
  if (candidates.length === 0 || input.limit === null) return { fired: [], reached };
  const limit = input.limit;
  const fired = await tx
    .insert(thresholdAlerts)
    .values(
      candidates.map((threshold) => ({
        id: newId('alrt'),
        organizationId: input.organizationId,
        meterKey: input.meterKey,
        periodStart: input.period.start,
        threshold,
        used: formatDecimal(input.used),
        limitQuantity: formatDecimal(limit),
        crossedAt: input.at,
      })),
    )
    .onConflictDoNothing()
    .returning();
  return { fired: fired.sort((a, b) => a.threshold - b.threshold), reached };
}

/**
 * This process's memory of thresholds that have fired. Forgetting is harmless (the unique row
 * decides again); it only spares an insert per event once a meter is past 50 %.
 */
export class FiredThresholds {
  readonly #known = new Set<string>();

  knownFired(organizationId: string): KnownFired {
    return (meterKey, periodStart, threshold) =>
      this.#known.has(`${organizationId}/${meterKey}/${periodStart.getTime()}/${threshold}`);
  }

  remember(
    organizationId: string,
    meterKey: string,
    periodStart: Date,
    thresholds: readonly Threshold[],
  ): void {
    if (this.#known.size > 200_000) this.#known.clear();
    for (const t of thresholds)
      this.#known.add(`${organizationId}/${meterKey}/${periodStart.getTime()}/${t}`);
  }
}

/** An organization's alerts, newest first. */
export async function listAlerts(
  ctx: RequestContext,
  organizationId: string,
  page: PageArgs,
): Promise<Connection<ThresholdAlertRow>> {
  const rows = await ctx.db
    .select()
    .from(thresholdAlerts)
    .where(
      and(
        eq(thresholdAlerts.organizationId, organizationId),
        page.after ? lt(thresholdAlerts.id, decodeCursor(page.after)) : undefined,
      ),
    )
    .orderBy(desc(thresholdAlerts.id))
    .limit(page.first + 1);
  return toConnection(rows, page, (row) => row.id);
}
