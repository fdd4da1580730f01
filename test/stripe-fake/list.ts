import { invalidParameter } from './errors.ts';
import { optInt, optString, type Params } from './params.ts';
import type { ListObject } from './types.ts';

/** Pagination params every list endpoint accepts (stripe-node's auto-pagination sends them). */
export const PAGINATION = { limit: 'integer', starting_after: 'string' } as const;

/** A Stripe list: newest first, `limit` (1–100, default 10) per page, after `starting_after`. */
export function listOf<T extends { id: string }>(
  all: Iterable<T>,
  url: string,
  params: Params,
): ListObject<T> {
  const limit = optInt(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidParameter(
      'limit',
      'This value must be greater than or equal to 1 and at most 100.',
    );
  }
  let newestFirst = [...all].reverse();
  const after = optString(params, 'starting_after');
  if (after !== undefined) {
    const index = newestFirst.findIndex((entry) => entry.id === after);
    newestFirst = index === -1 ? [] : newestFirst.slice(index + 1);
  }
  return {
    object: 'list',
    data: newestFirst.slice(0, limit),
    has_more: newestFirst.length > limit,
    url,
  };
}
