import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/raw.ts';
import { createPostgresDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { collect, gql, sleep, wsClient } from './support/graphql.ts';
import { spawnServer } from './support/process.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from './support/server.ts';
import { RECORD } from './support/usage.ts';

/** Each threshold fires exactly once, however many producers race through it. */
const PRODUCERS = 20;
const EVENTS_EACH = 10;
// starter: 100,000 api_requests included; 20 × 10 × 600 = 120,000 = 120 %.
const QUANTITY = '600';

async function produce(urls: string[], key: string, label: string) {
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, producer) => {
      const url = urls[producer % urls.length] as string;
      for (let i = 0; i < EVENTS_EACH; i++) {
        const response = await gql(url, RECORD, {
          key,
          variables: {
            input: {
              meter: 'api_requests',
              quantity: QUANTITY,
              idempotencyKey: `${label}-${producer}-${i}`,
            },
          },
        });
        expect(response.data?.recordUsage.__typename).toBe('RecordUsageSuccess');
      }
    }),
  );
}

describe('20 concurrent producers driving one meter from 0 to 120 %', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('fire exactly four alerts, each seen once by a subscriber', { timeout: 60_000 }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    const client = wsClient(server.graphqlUrl, org.ownerKey);
    try {
      const alerts = collect(client, 'subscription { thresholdCrossed { threshold } }');
      await sleep(200);
      await produce([server.graphqlUrl], ingest, 'one');
      await alerts.waitFor(4);
      await sleep(500);
      expect(alerts.results.map((r) => r.data?.thresholdCrossed.threshold)).toEqual([
        50, 75, 90, 100,
      ]);
      const stored = await queryRows<{ threshold: number }>(
        server.db(),
        sql`select threshold from threshold_alerts where organization_id = ${org.id} order by threshold`,
      );
      expect(stored.map((r) => r.threshold)).toEqual([50, 75, 90, 100]);
    } finally {
      await client.dispose();
    }
  });
});

describe('two server processes sharing Postgres and Redis', () => {
  it('fire exactly four alerts with producers split across both, and B sees what A caused within 1 s', {
    timeout: 120_000,
  }, async () => {
    const storage = await createPostgresDatabase();
    const env = {
      ...storage.env,
      REDIS_URL: 'redis://127.0.0.1:6379',
      BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      LOG_LEVEL: 'warn',
    };
    const a = await spawnServer(env);
    const b = await spawnServer(env);
    try {
      const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'starter' });
      const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
      const client = wsClient(b.graphqlUrl, org.ownerKey);
      try {
        const alerts = collect(client, 'subscription { thresholdCrossed { threshold } }');
        const usage = collect(
          client,
          'subscription { usageUpdated(meter: "api_requests") { used } }',
        );
        await sleep(500);

        // Caused on A, seen on B.
        const sentAt = Date.now();
        await gql(a.graphqlUrl, RECORD, {
          key: ingest,
          variables: { input: { meter: 'api_requests', quantity: '1', idempotencyKey: 'first' } },
        });
        await usage.waitFor(1, 1000);
        expect(Date.now() - sentAt).toBeLessThan(1000);
        expect(usage.results[0]?.data?.usageUpdated.used).toBe('1');

        await produce([a.graphqlUrl, b.graphqlUrl], ingest, 'two');
        await alerts.waitFor(4);
        await sleep(800);
        expect(alerts.results.map((r) => r.data?.thresholdCrossed.threshold)).toEqual([
          50, 75, 90, 100,
        ]);
        const listed = await gql(b.graphqlUrl, '{ alerts { edges { node { threshold } } } }', {
          key: org.ownerKey,
        });
        expect(listed.data?.alerts.edges.map((e: any) => e.node.threshold)).toEqual([
          100, 90, 75, 50,
        ]);
        expect(usage.results.at(-1)?.data?.usageUpdated.used).toBe('120001');
      } finally {
        await client.dispose();
      }
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await storage.drop();
    }
  });
});
