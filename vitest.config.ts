import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Shared with vitest.faults.config.ts. */
export const resolveGraphql = {
  // graphql 16 ships CommonJS and ESM builds without an exports map: Node loads the CommonJS one
  // for everything, while Vite would hand our sources the ESM one. Two copies of graphql break
  // `instanceof GraphQLError`, so tests load the one Node loads.
  alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
};

export default defineConfig({
  resolve: resolveGraphql,
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // The fault suite has its own command (npm run test:faults, vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    // Each file starts its own server (and, on PGlite, its own database): give start-up room.
    hookTimeout: 60_000,
    testTimeout: 30_000,
    pool: 'forks',
    // Test servers spend much of their time waiting on their database: more files than cores.
    maxWorkers: 3,
  },
});
