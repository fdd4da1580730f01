import { Decimal } from '../../billing/decimal.ts';
import type { Database } from '../../db/client.ts';
import { usageTotals } from '../../db/schema.ts';
import { loadOrganizationTerms, type OrganizationTerms } from './meter-terms-store.ts';
import { totalRow } from './usage-total-store.ts';

/**
 * In-process memory of what quota checks and single events need: an organization's terms and its
 * current period totals. Safe because of what it is used for: it answers checkQuota (advice; the
 * exact HARD check happens again, under lock, when usage is recorded) and gives ingestion the
 * limits, which change rarely. This process updates the totals it writes at once and drops an
 * organization's terms when its quotas change; changes made by other instances are seen within
 * the time-to-live.
 */
export class UsageCache {
  readonly #terms = new Map<string, Entry<OrganizationTerms>>();
  readonly #totals = new Map<string, Entry<Decimal>>();
  readonly #loading = new Map<string, Promise<OrganizationTerms | undefined>>();

  readonly options: { termsTtlMs: number; totalsTtlMs: number; maxEntries?: number };

  constructor(options: { termsTtlMs: number; totalsTtlMs: number; maxEntries?: number }) {
    this.options = options;
  }

  async terms(db: Database, organizationId: string): Promise<OrganizationTerms | undefined> {
    const cached = fresh(this.#terms.get(organizationId));
    if (cached) return cached;
    // Concurrent misses for one organization share one query.
    let loading = this.#loading.get(organizationId);
    if (!loading) {
      loading = loadOrganizationTerms(db, [organizationId]).then((all) => {
        const terms = all.get(organizationId);
        if (terms) this.#remember(this.#terms, organizationId, terms, this.options.termsTtlMs);
        return terms;
      });
      this.#loading.set(organizationId, loading);
      loading.finally(() => this.#loading.delete(organizationId)).catch(() => {});
    }
    return loading;
  }

  async total(
    db: Database,
    organizationId: string,
    meterKey: string,
    periodStart: Date,
  ): Promise<Decimal> {
    const key = totalKey(organizationId, meterKey, periodStart);
    const cached = fresh(this.#totals.get(key));
    if (cached) return cached;
    const [row] = await db
      .select({ value: usageTotals.value })
      .from(usageTotals)
      .where(totalRow(organizationId, meterKey, periodStart));
    const value = new Decimal(row?.value ?? 0);
    this.#remember(this.#totals, key, value, this.options.totalsTtlMs);
    return value;
  }

  /** After a commit: the totals this process just wrote. */
  noteTotal(organizationId: string, meterKey: string, periodStart: Date, value: Decimal): void {
    this.#remember(
      this.#totals,
      totalKey(organizationId, meterKey, periodStart),
      value,
      this.options.totalsTtlMs,
    );
  }

  /** An organization's quotas or plan changed. */
  forgetTerms(organizationId: string): void {
    this.#terms.delete(organizationId);
  }

  #remember<T>(map: Map<string, Entry<T>>, key: string, value: T, ttlMs: number): void {
    if (ttlMs <= 0) return;
    if (map.size >= (this.options.maxEntries ?? 50_000)) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.delete(key);
    map.set(key, { value, expiresAt: Date.now() + ttlMs });
  }
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

function fresh<T>(entry: Entry<T> | undefined): T | undefined {
  return entry && entry.expiresAt > Date.now() ? entry.value : undefined;
}

function totalKey(organizationId: string, meterKey: string, periodStart: Date): string {
  return `${organizationId}\u0000${meterKey}\u0000${periodStart.getTime()}`;
}
