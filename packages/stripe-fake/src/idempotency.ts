import { isDeepStrictEqual } from 'node:util';
import type { FormObject } from './form.ts';

/** A stored first answer to an idempotency key. */
export interface StoredResponse {
  method: string;
  path: string;
  params: FormObject;
  status: number;
  body: string;
  requestId: string;
}

/**
 * Idempotency keys, as Stripe keeps them: the first completed answer is replayed for the same
 * request; the same key on a different request is an error.
 */
export class IdempotencyStore {
  private readonly stored = new Map<string, StoredResponse>();

  lookup(
    key: string,
    method: string,
    path: string,
    params: FormObject,
  ): StoredResponse | 'mismatch' | null {
    const stored = this.stored.get(key);
    if (!stored) return null;
    const same =
      stored.method === method && stored.path === path && isDeepStrictEqual(stored.params, params);
    return same ? stored : 'mismatch';
  }

  save(key: string, response: StoredResponse): void {
    this.stored.set(key, response);
  }
}

/**
 * Stripe saves a result once the endpoint started executing: successes and card declines.
 * Validation errors, injected 429/500s and dropped connections are not saved, so a retry runs.
 */
export function isSaved(status: number): boolean {
  return status < 400 || status === 402;
}
