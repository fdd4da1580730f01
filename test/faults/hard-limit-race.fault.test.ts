import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, overrideQuota } from '../support/fixtures.ts';
import { startTwoInstances, type TwoInstances } from '../support/instances.ts';
import { TEST_ADMIN_KEY } from '../support/server.ts';
import { exactlyOnce, produce, storedEvents } from './producers.ts';

/** Two instances on one database, 20 producers racing one HARD limit across them. */
let instances: TwoInstances;

beforeAll(async () => {
  instances = await startTwoInstances();
});
afterAll(() => instances?.stop());

describe('a HARD limit raced across two instances', () => {
  it('is never passed: the total stops within one event of it, all of it acknowledged', {
    timeout: 120_000,
  }, async () => {
    const { a, b } = instances;
    const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'starter' });
    const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    expect(
      await overrideQuota(a.graphqlUrl, TEST_ADMIN_KEY, {
        organizationId: org.id,
        meter: 'api_requests',
        limit: '1000',
        mode: 'HARD',
      }),
    ).toBe('QuotaOverrideSuccess');
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
