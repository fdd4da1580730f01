import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization } from '../support/fixtures.ts';
import { collect, gql, wsClient } from '../support/graphql.ts';
import { startTwoInstances, type TwoInstances } from '../support/instances.ts';
import { TEST_ADMIN_KEY } from '../support/server.ts';
import { record, uniqueKey } from '../support/usage.ts';
import { waitFor } from '../support/wait.ts';
import { exactlyOnce, produce, storedEvents } from './producers.ts';

/** Redis stopped and started under load: no crash, billing goes on, fan-out comes back. */
let instances: TwoInstances;

beforeAll(async () => {
  instances = await startTwoInstances({ redis: true });
});
afterAll(() => instances?.stop());

describe('a Redis outage under load', () => {
  it('records everything, crashes nothing, and B hears A again after', {
    timeout: 120_000,
  }, async () => {
    const { a, b } = instances;
    const redis = instances.redis as NonNullable<TwoInstances['redis']>;
    const org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'scale' });
    const ingest = await createKey(a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    const running = produce({
      urls: () => [a.graphqlUrl, b.graphqlUrl],
      key: ingest,
      producers: 10,
      eventsEach: 100,
      quantity: 1,
      deadlineMs: 90_000,
    });
    let outages = 0;
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await redis.start();
      outages++;
    }
    const run = await running;
    const stored = await storedEvents(a.db(), org.id);
    const { lost, duplicated } = exactlyOnce(run, stored.byKey);

    // Fan-out is back: usage recorded on A reaches a subscriber on B.
    const client = wsClient(b.graphqlUrl, org.ownerKey);
    const heard = collect(client, 'subscription { usageUpdated(meter: "api_requests") { used } }');
    const total = await waitFor(
      'fan-out from A to B',
      async () => {
        await record(a.graphqlUrl, ingest, {
          meter: 'api_requests',
          quantity: '1',
          idempotencyKey: uniqueKey(),
        });
        return heard.results.length > 0 ? heard.results.length : undefined;
      },
      20_000,
    );
    await client.dispose();
    console.log(
      `faults/redis: ${run.acknowledged.size} acknowledged, ${lost.length} lost, ${duplicated.length} duplicated, ${outages} outages survived, fan-out back (${total} heard)`,
    );
    expect(run.acknowledged.size).toBe(10 * 100);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    for (const server of [a, b]) {
      const alive = await gql(server.graphqlUrl, '{ viewer { role } }', { key: ingest });
      expect(alive.data?.viewer.role).toBe('INGEST');
    }
  });
});
