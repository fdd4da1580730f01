import { invalidParameter, invalidRequest } from './errors.ts';
import { optInt, optString, type Params } from './params.ts';
import type { ListObject } from './types.ts';

/** Pagination params every list endpoint accepts (stripe-node's auto-pagination sends them). */
export const PAGINATION = {
  limit: 'integer',
  starting_after: 'string',
  ending_before: 'string',
} as const;

/**
 * A Stripe list: newest first, `limit` (1–100, default 10) per page, the objects just after
 * `starting_after` or just before `ending_before` (still newest first); `has_more` says whether
 * more lie beyond the page in the direction of travel. An unknown cursor gives an empty page.
 */
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
  const newestFirst = [...all].reverse();
  const after = optString(params, 'starting_after');
  const before = optString(params, 'ending_before');
  if (after !== undefined && before !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: ending_before, starting_after.',
      { code: 'parameters_exclusive' },
    );
  }
  if (before !== undefined) {
    const index = newestFirst.findIndex((entry) => entry.id === before);
    const newer = index === -1 ? [] : newestFirst.slice(0, index);
    return { object: 'list', data: newer.slice(-limit), has_more: newer.length > limit, url };
  }
  let older = newestFirst;
  if (after !== undefined) {
    const index = newestFirst.findIndex((entry) => entry.id === after);
    older = index === -1 ? [] : newestFirst.slice(index + 1);
  }
  return { object: 'list', data: older.slice(0, limit), has_more: older.length > limit, url };
}
