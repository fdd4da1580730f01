import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The fault suite (`npm run test:faults`): producers under SIGKILL, Redis stopped under load,
 * database connections killed mid-ingestion, a HARD limit raced across two instances. Each
 * checks every acknowledged event in the database afterwards. Needs Postgres and redis-server.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/faults/**/*.fault.test.ts'],
      // One at a time: each puts the machine under load on purpose.
      maxWorkers: 1,
      testTimeout: 180_000,
    },
  }),
);
