import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Config } from '../config.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import * as schema from './schema.ts';

/** The one database type the rest of the code sees, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction, or the database itself where no transaction is needed. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

/** A single connection that nothing else uses, for migrations and seeding at start. */
interface MaintenanceConnection {
  db: Database;
  /** Applies the checked-in migrations in drizzle/ that this database has not seen. */
  migrate(): Promise<void>;
}

/** How the job queue (pg-boss) reaches the same database. */
export type JobStore = { kind: 'pglite'; client: PGlite } | { kind: 'postgres'; url: string };

export interface DatabaseHandle {
  db: Database;
  driver: Config['database']['driver'];
  jobStore: JobStore;
  withMaintenanceConnection<T>(work: (connection: MaintenanceConnection) => Promise<T>): Promise<T>;
  /** SQL statements sent through `db` so far (tests hold the N+1 line with it). */
  statementCount(): number;
  close(): Promise<void>;
}

/** Counts the statements drizzle sends: one increment per query, nothing logged. */
function statementCounter() {
  let count = 0;
  return { logger: { logQuery: () => void count++ }, read: () => count };
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * The driver choice, in one place: DATABASE_URL set → a Postgres server through postgres.js;
 * unset → embedded PGlite with its data in DATA_DIR, which one process holds at a time.
 */
export async function openDatabase(config: Config['database']): Promise<DatabaseHandle> {
  if (config.driver === 'postgres') return openPostgres(config.url, config.poolSize);
  return openPglite(config.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  // Fail at start, with the server's own message, rather than at the first request.
  await client`select 1`;
  const statements = statementCounter();
  const db: Database = drizzlePostgres({ client, schema, logger: statements.logger });
  return {
    db,
    driver: 'postgres',
    statementCount: statements.read,
    jobStore: { kind: 'postgres', url },
    async withMaintenanceConnection(work) {
      const single = postgres(url, { max: 1, onnotice: () => {} });
      const maintenanceDb = drizzlePostgres({ client: single, schema });
      try {
        return await work({
          db: maintenanceDb,
          migrate: () => migratePostgres(maintenanceDb, { migrationsFolder }),
        });
      } finally {
        await single.end();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const lock: DataDirLock = await lockDataDir(dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const statements = statementCounter();
  const pgliteDb = drizzlePglite({ client, schema, logger: statements.logger });
  const db: Database = pgliteDb;
  return {
    db,
    driver: 'pglite',
    statementCount: statements.read,
    jobStore: { kind: 'pglite', client },
    // PGlite is a single connection already.
    withMaintenanceConnection: (work) =>
      work({ db, migrate: () => migratePglite(pgliteDb, { migrationsFolder }) }),
    async close() {
      await client.close();
      await lock.release();
    },
  };
}
