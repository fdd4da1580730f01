import type { Database } from '../../db/client.ts';
import { type Entitlement, entitlementsOf } from './entitlement-store.ts';

interface Entry {
  entitlements: Entitlement[];
  /** Read again from then on: the time-to-live, or the first override to lapse, if sooner. */
  validUntil: number;
}

/**
 * In-process memory of organizations' entitlements, for the checks on producers' hot paths.
 * Kept exact by forgetting an organization at every change that affects it: this instance's own
 * changes at once, other instances' through the live events (Redis); the time-to-live bounds
 * how stale an answer can be while Redis is down. An override that lapses ends its entry then.
 */
export class EntitlementCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entitlement[]>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 50_000;
  }

  async of(db: Database, organizationId: string, now: Date): Promise<Entitlement[]> {
    const cached = this.#entries.get(organizationId);
    if (cached && cached.validUntil > now.getTime()) return cached.entitlements;
    // Concurrent misses for one organization share one read.
    let loading = this.#loading.get(organizationId);
    if (!loading) {
      loading = entitlementsOf(db, organizationId, now).then((entitlements) => {
        this.#remember(organizationId, entitlements, now);
        return entitlements;
      });
      this.#loading.set(organizationId, loading);
      loading.finally(() => this.#loading.delete(organizationId)).catch(() => {});
    }
    return loading;
  }

  /** The organization's entitlements changed: the next check reads them again. */
  forget(organizationId: string): void {
    this.#entries.delete(organizationId);
  }

  #remember(organizationId: string, entitlements: Entitlement[], now: Date): void {
    // Bounded: the oldest entries go first (a Map keeps insertion order).
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const lapses = entitlements
      .map((e) => e.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY)
      .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    this.#entries.delete(organizationId);
    this.#entries.set(organizationId, {
      entitlements,
      validUntil: Math.min(now.getTime() + this.#ttlMs, lapses),
    });
  }
}
