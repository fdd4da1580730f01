import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { createTestRedis, type TestRedis } from './support/redis.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

/** A limit lowered on one instance holds on the others at once, not after the terms' TTL. */
let redis: TestRedis;
let storage: ScratchDatabase;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  redis = await createTestRedis();
  await redis.start();
  storage = await createPostgresDatabase();
  const env = { REDIS_URL: redis.url };
  a = await startTestServer(env, storage);
  b = await startTestServer(env, storage);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  await storage?.drop();
});

describe('a HARD limit set on instance A', () => {
  it('refuses usage past it on instance B right away', async () => {
    const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'starter' });
    const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    // B reads and keeps the starter terms: api_requests OVERAGE, 100,000 included.
    const warm = await record(b.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: uniqueKey(),
    });
    expect(warm).toMatchObject({ usage: { mode: 'OVERAGE', limit: '100000' } });

    const override = await gql(
      a.graphqlUrl,
      `mutation ($input: QuotaOverrideInput!) { setQuotaOverride(input: $input) { __typename } }`,
      {
        key: TEST_ADMIN_KEY,
        variables: {
          input: { organizationId: org.id, meter: 'api_requests', limit: '1000', mode: 'HARD' },
        },
      },
    );
    expect(override.data?.setQuotaOverride.__typename).toBe('QuotaOverrideSuccess');

    // At once, on B: 10 + 2,000 would pass the new limit of 1,000.
    const past = await record(b.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '2000',
      idempotencyKey: uniqueKey(),
    });
    expect(past).toMatchObject({ __typename: 'QuotaExceededError', limit: '1000', used: '10' });
  });
});
