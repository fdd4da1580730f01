import { createPostgresDatabase, type ScratchDatabase } from './database.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { startTestServer, type TestServer } from './server.ts';

/**
 * Two server instances on one Postgres database of their own, with a Redis of their own between
 * them when asked (`redis.stop()` / `redis.start()` play an outage). `stop` ends them all.
 */
export interface TwoInstances {
  a: TestServer;
  b: TestServer;
  storage: ScratchDatabase;
  redis: TestRedis | null;
  stop(): Promise<void>;
}

export async function startTwoInstances(
  options: { redis: boolean; env?: Record<string, string> } = { redis: false },
): Promise<TwoInstances> {
  const redis = options.redis ? await createTestRedis() : null;
  await redis?.start();
  const storage = await createPostgresDatabase();
  const env = { ...(redis ? { REDIS_URL: redis.url } : {}), ...options.env };
  const a = await startTestServer(env, storage);
  const b = await startTestServer(env, storage);
  return {
    a,
    b,
    storage,
    redis,
    async stop() {
      await a.stop();
      await b.stop();
      await redis?.stop();
      await storage.drop();
    },
  };
}
