import { defineConfig } from 'vitest/config';
import { resolveGraphql } from './vitest.config.ts';

/**
 * The fault suite (`npm run test:faults`): producers under SIGKILL, Redis stopped under load,
 * database connections killed mid-ingestion, a HARD limit raced across two instances. Each
 * checks every acknowledged event in the database afterwards. Needs Postgres and redis-server.
 */
export default defineConfig({
  resolve: resolveGraphql,
  test: {
    include: ['test/faults/**/*.fault.test.ts'],
    pool: 'forks',
    // One at a time: each puts the machine under load on purpose.
    maxWorkers: 1,
    hookTimeout: 60_000,
    testTimeout: 180_000,
  },
});
