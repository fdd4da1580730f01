import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, overrideQuota } from './support/fixtures.ts';
import { startTwoInstances, type TwoInstances } from './support/instances.ts';
import { TEST_ADMIN_KEY } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

/** A limit lowered on one instance holds on the others at once, not after the terms' TTL. */
let instances: TwoInstances;

beforeAll(async () => {
  instances = await startTwoInstances({ redis: true });
});
afterAll(() => instances?.stop());

describe('a HARD limit set on instance A', () => {
  it('refuses usage past it on instance B right away', async () => {
    const { a, b } = instances;
    const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'starter' });
    const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    // B reads and keeps the starter terms: api_requests OVERAGE, 100,000 included.
    const warm = await record(b.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: uniqueKey(),
    });
    expect(warm).toMatchObject({ usage: { mode: 'OVERAGE', limit: '100000' } });

    expect(
      await overrideQuota(a.graphqlUrl, TEST_ADMIN_KEY, {
        organizationId: org.id,
        meter: 'api_requests',
        limit: '1000',
        mode: 'HARD',
      }),
    ).toBe('QuotaOverrideSuccess');

    // At once, on B: 10 + 2,000 would pass the new limit of 1,000.
    const past = await record(b.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '2000',
      idempotencyKey: uniqueKey(),
    });
    expect(past).toMatchObject({ __typename: 'QuotaExceededError', limit: '1000', used: '10' });
  });
});
