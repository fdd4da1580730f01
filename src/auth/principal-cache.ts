import type { Principal } from './principal.ts';

/**
 * Recently authenticated keys, by the hash of their secret, so that a busy producer's requests
 * do not each look the key up. An entry lives `ttlMs` (a revoked key stops working within that
 * time on every instance; at once on the instance that revokes it, through `forget`).
 * `generation` changes with every `forget`: a lookup that was under way while a key was forgotten
 * must not put what it read back (it may have read the key just before it was revoked).
 */
export class PrincipalCache {
  readonly #entries = new Map<string, { principal: Principal; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  #generation = 0;

  constructor(options: { ttlMs: number; maxEntries?: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  get(keyHash: string, now = Date.now()): Principal | undefined {
    const entry = this.#entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(keyHash);
      return undefined;
    }
    return entry.principal;
  }

  set(keyHash: string, principal: Principal, now = Date.now()): void {
    if (this.#entries.size >= this.#maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(keyHash, { principal, expiresAt: now + this.#ttlMs });
  }

  get generation(): number {
    return this.#generation;
  }

  forget(keyId: string): void {
    this.#generation++;
    for (const [hash, entry] of this.#entries) {
      if (entry.principal.keyId === keyId) this.#entries.delete(hash);
    }
  }
}
