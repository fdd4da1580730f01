import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type ScratchDatabase } from '../support/database.ts';
import { createKey, createOrganization } from '../support/fixtures.ts';
import { gql } from '../support/graphql.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../support/server.ts';
import { exactlyOnce, produce, storedEvents } from './producers.ts';

/** Two instances on one database, 20 producers racing one HARD limit across them. */
let storage: ScratchDatabase;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  storage = await createPostgresDatabase();
  a = await startTestServer({}, storage);
  b = await startTestServer({}, storage);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await storage?.drop();
});

describe('a HARD limit raced across two instances', () => {
  it('is never passed: the total stops within one event of it, all of it acknowledged', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'starter' });
    const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    const override = await gql(
      a.graphqlUrl,
      'mutation ($input: QuotaOverrideInput!) { setQuotaOverride(input: $input) { __typename } }',
      {
        key: TEST_ADMIN_KEY,
        variables: {
          input: { organizationId: org.id, meter: 'api_requests', limit: '1000', mode: 'HARD' },
        },
      },
    );
    expect(override.data?.setQuotaOverride.__typename).toBe('QuotaOverrideSuccess');
    const run = await produce({
      urls: () => [a.graphqlUrl, b.graphqlUrl],
      key: ingest,
      producers: 20,
      eventsEach: 20,
      quantity: 7,
      deadlineMs: 100_000,
      stopWhenRefused: true,
    });
    const stored = await storedEvents(a.db(), org.id);
    const { lost, duplicated } = exactlyOnce(run, stored.byKey);
    console.log(
      `faults/hard-limit: ${run.acknowledged.size} acknowledged (total ${stored.total} of 1000), ${run.refused.size} refused, ${lost.length} lost, ${duplicated.length} duplicated`,
    );
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    // 142 × 7 = 994: the largest total of 7s under 1,000.
    expect(stored.total).toBe(994);
    expect(run.acknowledged.size).toBe(142);
    expect(new Set(run.refused.values())).toEqual(new Set(['QuotaExceededError']));
  });
});
