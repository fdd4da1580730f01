import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from './client.ts';
import { type SeedOptions, type SeedResult, seedDatabase } from './seed/seed.ts';

/** Any constant: the advisory lock that serialises start-up of several instances. */
const START_UP_LOCK = 7_031_202_611;

/**
 * Brings the database to the current schema and seeds what a fresh one needs, on one connection
 * and under an advisory lock, so instances starting together on one Postgres take turns.
 * Idempotent: starting again changes nothing.
 */
export async function prepareDatabase(
  handle: DatabaseHandle,
  options: SeedOptions,
): Promise<SeedResult> {
  return handle.withMaintenanceConnection(async ({ db, migrate }) => {
    await db.execute(sql`select pg_advisory_lock(${START_UP_LOCK})`);
    try {
      await migrate();
      return await seedDatabase(db, options);
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${START_UP_LOCK})`);
    }
  });
}
