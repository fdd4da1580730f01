import { z } from 'zod';
import { ValidationError } from '../../errors.ts';

/**
 * Keyset pagination over ids that sort by creation time (src/db/ids.ts): a cursor is the last id
 * seen, base64url-encoded so that clients treat it as opaque.
 */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const MAX_PAGE_SIZE = 100;

export const pageArgsSchema = z.object({
  first: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`),
  after: z.string().max(200).nullish(),
});
export type PageArgs = z.infer<typeof pageArgsSchema>;

const CURSOR_PREFIX = 'c1:';

function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX) || text.length === CURSOR_PREFIX.length) {
    throw ValidationError.forField(['after'], 'is not a cursor returned by this API');
  }
  return text.slice(CURSOR_PREFIX.length);
}

/**
 * Builds a page from rows fetched with `limit: first + 1`: the extra row, when present, only
 * says that there is a next page.
 */
export function toConnection<T>(
  rows: T[],
  args: PageArgs,
  idOf: (row: T) => string,
): Connection<T> {
  const page = rows.slice(0, args.first);
  const edges = page.map((node) => ({ cursor: encodeCursor(idOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > args.first,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
