import { randomBytes } from 'node:crypto';
import { type App, type AppOptions, buildApp, type StartedApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestStorage, type ScratchDatabase } from './database.ts';

/** The ADMIN key every test server accepts (BOOTSTRAP_ADMIN_KEY). */
export const TEST_ADMIN_KEY = 'bsk_test_admin_key_for_the_test_suite_0001';

export interface TestServer extends StartedApp {
  app: App;
  adminKey: string;
  /** The server's own database, for checks that look beneath the API. */
  db(): Database;
  stop(): Promise<void>;
}

/** A real server on port 0 over its own storage (or the run's shared Postgres database). */
export async function startTestServer(
  env: Record<string, string> = {},
  storage?: ScratchDatabase,
  options: AppOptions = {},
): Promise<TestServer> {
  const ownStorage = storage ?? (await createTestStorage());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
    // Servers sharing one Postgres database run different settings: each gets queues of its own.
    JOBS_SCHEMA: `pgboss_${randomBytes(4).toString('hex')}`,
    ...ownStorage.env,
    ...env,
  });
  const app = buildApp(config, options);
  const started = await app.start();
  return {
    ...started,
    app,
    adminKey: TEST_ADMIN_KEY,
    db() {
      const database = app.database;
      if (!database) throw new Error('the server is not running');
      return database.db;
    },
    async stop() {
      await app.stop();
      if (!storage) await ownStorage.drop();
    },
  };
}
