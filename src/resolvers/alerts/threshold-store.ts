import { type Decimal, formatDecimal } from '../../billing/decimal.ts';
import type { Period } from '../../billing/period.ts';
import { type Threshold, thresholdsReached } from '../../billing/thresholds.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type ThresholdAlertRow, thresholdAlerts } from '../../db/schema.ts';

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
