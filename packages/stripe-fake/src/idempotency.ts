import { isDeepStrictEqual } from 'node:util';
import type { FormObject } from './form.ts';

/** Stripe prunes a key once it is at least 24 hours old; a reuse after that runs afresh. */
const KEY_LIFETIME_SECONDS = 24 * 60 * 60;

/** What a key is compared on: the same key on another endpoint or parameters is an error. */
export interface KeyedRequest {
  method: string;
  path: string;
  params: FormObject;
}

/** The saved first answer to an idempotency key. */
export interface SavedAnswer extends KeyedRequest {
  status: number;
  body: string;
  /** Headers replayed with it besides the request id (e.g. `Stripe-Should-Retry`). */
  headers: Record<string, string>;
  requestId: string;
}

/** What a request with an idempotency key meets. */
export type KeyUse =
  | { kind: 'fresh' }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; saved: SavedAnswer };

/**
 * Idempotency keys, as Stripe keeps them for POST requests
 * (https://docs.stripe.com/api/idempotent_requests): the answer of a request whose endpoint began
 * executing is saved and replayed to the same request; the same key with another endpoint or
 * parameters is an error, and so is its use while its first request is still executing. Keys are
 * pruned once 24 hours old by the fake's clock (which `advanceTime()` moves).
 */
export class IdempotencyStore {
  /** In the order saved, so also oldest first: the clock never moves backwards. */
  private readonly saved = new Map<string, SavedAnswer & { savedAt: number }>();
  private readonly executing = new Set<string>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  use(key: string, request: KeyedRequest): KeyUse {
    this.prune();
    if (this.executing.has(key)) return { kind: 'in_progress' };
    const saved = this.saved.get(key);
    if (!saved) return { kind: 'fresh' };
    const same =
      saved.method === request.method &&
      saved.path === request.path &&
      isDeepStrictEqual(saved.params, request.params);
    return same ? { kind: 'replay', saved } : { kind: 'mismatch' };
  }

  /** The key's request began executing: other uses of the key are refused until it ends. */
  begin(key: string): void {
    this.executing.add(key);
  }

  /** The key's request ended; its answer is saved unless null (it never began executing). */
  end(key: string, answer: SavedAnswer | null): void {
    this.executing.delete(key);
    if (answer) this.saved.set(key, { ...answer, savedAt: this.now() });
  }

  private prune(): void {
    const cutoff = this.now() - KEY_LIFETIME_SECONDS;
    for (const [key, saved] of this.saved) {
      if (saved.savedAt > cutoff) break;
      this.saved.delete(key);
    }
  }
}

/**
 * Whether an error answer of an endpoint is saved under its key. Stripe saves every result once
 * the endpoint began executing (a declined card, no such object, an object in the wrong state, a
 * 500), but parameters that fail validation are refused before that, and the retry runs afresh.
 * In the fake those are the errors with a `parameter_*` / `parameters_*` code.
 */
export function isSavedError(error: { code?: string | undefined }): boolean {
  return !error.code?.startsWith('parameter');
}
