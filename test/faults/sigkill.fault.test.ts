import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type ScratchDatabase } from '../support/database.ts';
import { createKey, createOrganization } from '../support/fixtures.ts';
import { freePort } from '../support/ports.ts';
import { type ServerProcess, spawnServer } from '../support/process.ts';
import { startTestServer, TEST_ADMIN_KEY } from '../support/server.ts';
import { exactlyOnce, produce, storedEvents } from './producers.ts';

/** Producers under SIGKILL: every acknowledged event is in the database exactly once. */
let storage: ScratchDatabase;
let env: Record<string, string>;
let server: ServerProcess | null = null;

beforeAll(async () => {
  storage = await createPostgresDatabase();
  env = {
    ...storage.env,
    PORT: String(await freePort()),
    BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
    LOG_LEVEL: 'warn',
  };
  server = await spawnServer(env);
});
afterAll(async () => {
  server?.child.kill('SIGKILL');
  await server?.exited;
  await storage?.drop();
});

describe('SIGKILL under load', () => {
  it('loses and duplicates no acknowledged event over three kills', {
    timeout: 180_000,
  }, async () => {
    const url = (server as ServerProcess).graphqlUrl;
    const org = await createOrganization(url, TEST_ADMIN_KEY, { planKey: 'scale' });
    const ingest = await createKey(url, org.ownerKey, org.id, 'INGEST');
    const running = produce({
      urls: () => [url],
      key: ingest,
      producers: 20,
      eventsEach: 100,
      quantity: 3,
      deadlineMs: 150_000,
    });
    const kills = 3;
    for (let i = 0; i < kills; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      server?.child.kill('SIGKILL');
      await server?.exited;
      server = await spawnServer(env);
    }
    const run = await running;

    const reader = await startTestServer({}, storage);
    try {
      const stored = await storedEvents(reader.db(), org.id);
      const { lost, duplicated } = exactlyOnce(run, stored.byKey);
      console.log(
        `faults/sigkill: ${run.acknowledged.size} acknowledged, ${lost.length} lost, ${duplicated.length} duplicated, ${kills} kills, ${run.retries} retries`,
      );
      expect(run.acknowledged.size).toBe(20 * 100);
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      // Nothing counted that was not stored, nor stored and not counted.
      expect(stored.total).toBe(3 * stored.byKey.size);
      expect(stored.byKey.size).toBe(run.acknowledged.size);
    } finally {
      await reader.stop();
    }
  });
});
