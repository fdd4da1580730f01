import type { Database } from '../../db/client.ts';
import { dataExceptionCode } from '../../db/database-errors.ts';
import { ValidationError } from '../../errors.ts';
import type { KnownFired } from '../alerts/threshold-store.ts';
import type { OrganizationTerms } from './meter-terms-store.ts';
import type { CheckedUsageEvent } from './usage-event-input.ts';
import { type IngestResult, ingestUsage } from './usage-ingest-store.ts';

/**
 * Records the events in one transaction, as ingestUsage does; if the database refuses that
 * transaction for the data of one of them (a period total past what numeric(38,12) holds, say),
 * each event is recorded again on its own, so that only the one it refuses fails and its
 * neighbours in the batch or the group commit are stored. Nothing of the first try was stored:
 * its transaction rolled back.
 */
export async function ingestIsolatingBadEvents(
  db: Database,
  terms: OrganizationTerms,
  prechecked: (CheckedUsageEvent | ValidationError)[],
  receivedAt: Date,
  knownFired: KnownFired,
): Promise<IngestResult> {
  try {
    return await ingestUsage(db, terms, prechecked, receivedAt, knownFired);
  } catch (error) {
    const code = dataExceptionCode(error);
    if (code === null) throw error;
    if (prechecked.filter((item) => !(item instanceof Error)).length <= 1) {
      return ingestUsage(
        db,
        terms,
        prechecked.map((item) => (item instanceof Error ? item : refusal(code))),
        receivedAt,
        knownFired,
      );
    }
  }
  const result: IngestResult = { outcomes: [], changed: [], alerts: [], reached: [] };
  for (const item of prechecked) {
    const alone = await ingestIsolatingBadEvents(db, terms, [item], receivedAt, knownFired);
    result.outcomes.push(...alone.outcomes);
    result.changed.push(...alone.changed);
    result.alerts.push(...alone.alerts);
    result.reached.push(...alone.reached);
  }
  return result;
}

function refusal(code: string): ValidationError {
  // 22003 numeric_value_out_of_range: the only one the checks before the database leave open.
  return code === '22003'
    ? ValidationError.forField(
        ['quantity'],
        'would take the period total past the largest total kept (26 digits before the point)',
      )
    : new ValidationError(`the event could not be stored as sent (SQLSTATE ${code})`, []);
}
