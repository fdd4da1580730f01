import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type ScratchDatabase } from '../support/database.ts';
import { createKey, createOrganization } from '../support/fixtures.ts';
import { gql } from '../support/graphql.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.ts';
import { exactlyOnce, produce, storedEvents } from './producers.ts';

/** The server's database connections killed (pg_terminate_backend) in the middle of ingestion. */
let storage: ScratchDatabase;
let server: TestServer;

beforeAll(async () => {
  storage = await createPostgresDatabase();
  server = await startTestServer({}, storage);
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

function terminateBackends(): number {
  const database = new URL(storage.env.DATABASE_URL as string).pathname.slice(1);
  const result = spawnSync(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-tAc',
      `select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '${database}'`,
    ],
    { encoding: 'utf8' },
  );
  return Number(result.stdout.trim());
}

describe('database connections killed mid-ingestion', () => {
  it('loses and duplicates nothing, and the server goes on serving', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'scale' });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    const running = produce({
      urls: () => [server.graphqlUrl],
      key: ingest,
      producers: 10,
      eventsEach: 150,
      quantity: 2,
      deadlineMs: 100_000,
    });
    let killed = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      killed += terminateBackends();
    }
    const run = await running;
    const stored = await storedEvents(server.db(), org.id);
    const { lost, duplicated } = exactlyOnce(run, stored.byKey);
    console.log(
      `faults/postgres-kill: ${run.acknowledged.size} acknowledged, ${lost.length} lost, ${duplicated.length} duplicated, ${killed} connections killed, ${run.retries} retries`,
    );
    expect(killed).toBeGreaterThan(0);
    expect(run.acknowledged.size).toBe(10 * 150);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(stored.total).toBe(2 * stored.byKey.size);
    const after = await gql(server.graphqlUrl, '{ viewer { role } }', { key: ingest });
    expect(after.data?.viewer.role).toBe('INGEST');
  });
});
