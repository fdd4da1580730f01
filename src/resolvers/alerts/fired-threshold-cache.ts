import type { Threshold } from '../../billing/thresholds.ts';
import type { KnownFired } from './threshold-store.ts';

/**
 * This process's memory of thresholds that have fired. Forgetting is harmless (the unique row
 * decides again); it only spares an insert per event once a meter is past 50 %.
 */
export class FiredThresholdCache {
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
