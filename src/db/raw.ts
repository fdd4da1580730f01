import type { SQL } from 'drizzle-orm';
import type { Executor } from './client.ts';

/**
 * Runs raw SQL and returns its rows, whichever driver is behind: postgres.js answers `execute`
 * with the rows themselves, PGlite with an object that holds them. Raw SQL goes through here only.
 */
export async function queryRows<Row extends Record<string, unknown>>(
  db: Executor,
  query: SQL,
): Promise<Row[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as Row[];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}
