import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

/**
 * Where tests keep their data. `npm test` runs on PGlite; with DATABASE_URL set (CI's second
 * pass) every test server shares that Postgres database, each test making its own organizations.
 * Tests that need a database of their own (start-up on an empty one) make it here.
 */
const sharedDatabaseUrl: string | undefined = process.env.DATABASE_URL || undefined;
const backend: 'postgres' | 'pglite' = sharedDatabaseUrl ? 'postgres' : 'pglite';

/** The Postgres server used for databases made by tests: CI's, or the local one. */
const serverUrl = (() => {
  const url = new URL(
    sharedDatabaseUrl ??
      process.env.TEST_POSTGRES_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
  );
  url.pathname = '/postgres';
  return url;
})();

export interface ScratchDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A new, empty Postgres database on the test server. */
export async function createPostgresDatabase(): Promise<ScratchDatabase> {
  const name = `billing_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const again = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

/** A new, empty PGlite data directory. */
export async function createPgliteDirectory(): Promise<ScratchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'billing-test-'));
  const dataDir = join(dir, 'data');
  return {
    env: { DATA_DIR: dataDir },
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A database of its own on this run's backend, for a test that changes what is global (meters). */
export function createIsolatedStorage(): Promise<ScratchDatabase> {
  return backend === 'postgres' ? createPostgresDatabase() : createPgliteDirectory();
}

/** Storage for a test server: the shared Postgres database, or a PGlite directory of its own. */
export async function createTestStorage(): Promise<ScratchDatabase> {
  if (sharedDatabaseUrl) return { env: { DATABASE_URL: sharedDatabaseUrl }, drop: async () => {} };
  return createPgliteDirectory();
}
