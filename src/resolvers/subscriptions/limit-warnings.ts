import { Decimal, formatDecimal } from '../../billing/decimal.ts';
import { hardLimitOf, refusedByHardLimit } from '../../billing/quota.ts';
import type { PlanRow } from '../../db/schema.ts';
import type { OrganizationTerms } from '../metering/meter-terms-store.ts';

/**
 * For people, before a plan change or a migration: each HARD limit of `plan` (its terms, with the
 * organization's overrides) that usage already recorded is past. `when` says which usage, e.g.
 * "this period" or "in 2026-11".
 */
export function hardLimitWarnings(
  terms: OrganizationTerms,
  used: ReadonlyMap<string, Decimal>,
  plan: PlanRow,
  when: string,
): string[] {
  const warnings: string[] = [];
  for (const meter of terms.meters.values()) {
    const value = used.get(meter.meter.key) ?? new Decimal(0);
    const hardLimit = hardLimitOf(meter.quota);
    if (hardLimit && refusedByHardLimit(meter.quota, value)) {
      warnings.push(
        `${meter.meter.key}: ${formatDecimal(value)} used ${when} is over the ${plan.name} plan's HARD limit of ${formatDecimal(hardLimit)}; it will show EXCEEDED and further usage is refused`,
      );
    }
  }
  return warnings;
}
