import type { Aggregation } from './aggregation.ts';
import { Decimal } from './decimal.ts';
import type { OverageTier } from './pricing.ts';

export type LimitMode = 'HARD' | 'SOFT' | 'OVERAGE';

/**
 * The limit that applies to an organization's meter: its override when an ADMIN set one,
 * otherwise its plan's quota, otherwise none (unlimited, SOFT).
 */
export interface EffectiveQuota {
  /** null: unlimited. */
  limit: Decimal | null;
  mode: LimitMode;
  /** Major units per unit above the limit; OVERAGE only. */
  overageUnitPrice: Decimal | null;
  /** Graduated tiers over the period's total usage; OVERAGE only, when no flat price applies. */
  overageTiers: OverageTier[] | null;
  source: 'override' | 'plan' | 'none';
}

export interface PlanQuotaTerms {
  includedQuantity: string | null;
  limitMode: LimitMode;
  overageUnitPrice: string | null;
  overageTiers: OverageTier[] | null;
}

export interface OverrideTerms {
  limitQuantity: string | null;
  limitMode: LimitMode;
  overageUnitPrice: string | null;
}

export function effectiveQuota(
  planQuota: PlanQuotaTerms | null,
  override: OverrideTerms | null,
): EffectiveQuota {
  if (override) {
    const isOverage = override.limitMode === 'OVERAGE';
    // An override without its own price keeps the plan's price (flat or graduated).
    const ownPrice = override.overageUnitPrice !== null;
    return {
      limit: decimalOrNull(override.limitQuantity),
      mode: override.limitMode,
      overageUnitPrice: !isOverage
        ? null
        : ownPrice
          ? new Decimal(override.overageUnitPrice as string)
          : decimalOrNull(planQuota?.overageUnitPrice ?? null),
      overageTiers: isOverage && !ownPrice ? (planQuota?.overageTiers ?? null) : null,
      source: 'override',
    };
  }
  if (planQuota) {
    return {
      limit: decimalOrNull(planQuota.includedQuantity),
      mode: planQuota.limitMode,
      overageUnitPrice: decimalOrNull(planQuota.overageUnitPrice),
      overageTiers: planQuota.overageTiers,
      source: 'plan',
    };
  }
  return { limit: null, mode: 'SOFT', overageUnitPrice: null, overageTiers: null, source: 'none' };
}

/** The value a total would have if this quantity were recorded now (for HARD checks). */
export function valueAfter(aggregation: Aggregation, used: Decimal, quantity: Decimal): Decimal {
  switch (aggregation) {
    case 'SUM':
      return used.plus(quantity);
    case 'COUNT':
      return used.plus(1);
    case 'MAX':
      return Decimal.max(used, quantity);
    case 'LAST':
      return quantity;
  }
}

/** What one event asks of the limit: its quantity, or 1 for COUNT meters. */
export function requestedBy(aggregation: Aggregation, quantity: Decimal): Decimal {
  return aggregation === 'COUNT' ? new Decimal(1) : quantity;
}

/**
 * The HARD limit of a quota, or null when none applies (SOFT, OVERAGE, unlimited). The one
 * definition of "a HARD limit": ingestion locks such totals, checks refuse past them, usage
 * shows blocked at them.
 */
export function hardLimitOf(quota: EffectiveQuota): Decimal | null {
  return quota.mode === 'HARD' ? quota.limit : null;
}

/** True when a HARD limit refuses a total of `value`: it would be past the limit. */
export function refusedByHardLimit(quota: EffectiveQuota, value: Decimal): boolean {
  const limit = hardLimitOf(quota);
  return limit !== null && value.greaterThan(limit);
}

/** True when a total of `used` has reached its HARD limit: nothing more is accepted. */
export function hardLimitReached(quota: EffectiveQuota, used: Decimal): boolean {
  const limit = hardLimitOf(quota);
  return limit !== null && used.greaterThanOrEqualTo(limit);
}

function decimalOrNull(value: string | null): Decimal | null {
  return value === null ? null : new Decimal(value);
}
