import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../src/billing/decimal.ts';
import { queryRows } from '../src/db/raw.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { RECORD, recordBatch, type UsageEventVariables, usageOf } from './support/usage.ts';

/** Exactness under concurrency, on whichever database this run uses (PGlite or Postgres). */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const PRODUCERS = 50;
const EVENTS_EACH = 1000;
const BATCH = 250;

async function storedEvents(organizationId: string, meter: string) {
  const [row] = await queryRows<{ n: number; total: string }>(
    server.db(),
    sql`select count(*)::int as n, coalesce(sum(quantity), 0)::text as total
        from usage_events where organization_id = ${organizationId} and meter_key = ${meter}`,
  );
  return { count: Number(row?.n), total: new Decimal(row?.total ?? 0) };
}

async function runProducers<T>(
  count: number,
  work: (producer: number) => Promise<T>,
): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, producer) => work(producer)));
}

describe(`${PRODUCERS} concurrent producers × ${EVENTS_EACH} events on one (organization, meter)`, () => {
  it('keep the total exact, and exact again when every event is sent twice', {
    timeout: 240_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'scale' });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    // Quantities with decimals, different per event: the expected total is summed exactly here.
    const eventsOf = (producer: number): UsageEventVariables[] =>
      Array.from({ length: EVENTS_EACH }, (_, i) => ({
        meter: 'api_requests',
        quantity: `${(i % 7) + 1}.${String(producer).padStart(3, '0')}`,
        idempotencyKey: `p${producer}-e${i}`,
      }));
    let expected = new Decimal(0);
    for (let p = 0; p < PRODUCERS; p++)
      for (const e of eventsOf(p)) expected = expected.plus(e.quantity);

    const send = (producer: number) => async () => {
      const events = eventsOf(producer);
      let accepted = 0;
      let duplicates = 0;
      for (let i = 0; i < events.length; i += BATCH) {
        const result = await recordBatch(server.graphqlUrl, ingest, events.slice(i, i + BATCH));
        expect(result.rejected).toEqual([]);
        accepted += result.accepted;
        duplicates += result.duplicates;
      }
      return { accepted, duplicates };
    };

    const first = await runProducers(PRODUCERS, (p) => send(p)());
    expect(first.reduce((s, r) => s + r.accepted, 0)).toBe(PRODUCERS * EVENTS_EACH);
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe(
      expected.toFixed(),
    );

    // Every event again, concurrently: all duplicates, nothing counted twice.
    const again = await runProducers(PRODUCERS, (p) => send(p)());
    expect(again.reduce((s, r) => s + r.accepted, 0)).toBe(0);
    expect(again.reduce((s, r) => s + r.duplicates, 0)).toBe(PRODUCERS * EVENTS_EACH);
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe(
      expected.toFixed(),
    );
    const stored = await storedEvents(org.id, 'api_requests');
    expect(stored.count).toBe(PRODUCERS * EVENTS_EACH);
    expect(stored.total.toFixed()).toBe(expected.toFixed());
  });

  it('count a retry racing its original exactly once', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'scale' });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    // The same 20 keys sent by 50 producers at once, single events.
    const results = await runProducers(PRODUCERS, (p) =>
      gql(server.graphqlUrl, RECORD, {
        key: ingest,
        variables: {
          input: { meter: 'bandwidth_gb', quantity: '1', idempotencyKey: `same-${p % 20}` },
        },
      }),
    );
    const fresh = results.filter((r) => r.data?.recordUsage.duplicate === false).length;
    expect(fresh).toBe(20);
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'bandwidth_gb')).used).toBe('20');
  });
});

describe('a HARD limit raced past by 50 concurrent producers', () => {
  it('is never overshot; every refused event has a QuotaExceededError and none is stored', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    // free: 10,000 requests HARD. 50 producers × 30 events of 7 = 10,500 asked.
    const outcomes = await runProducers(PRODUCERS, async (producer) => {
      const types: string[] = [];
      for (let i = 0; i < 30; i++) {
        const response = await gql(server.graphqlUrl, RECORD, {
          key: ingest,
          variables: {
            input: {
              meter: 'api_requests',
              quantity: '7',
              idempotencyKey: `hard-${producer}-${i}`,
            },
          },
        });
        types.push(response.data?.recordUsage.__typename);
      }
      return types;
    });
    const all = outcomes.flat();
    const accepted = all.filter((t) => t === 'RecordUsageSuccess').length;
    const refused = all.filter((t) => t === 'QuotaExceededError').length;
    expect(accepted + refused).toBe(all.length);
    // 1,428 × 7 = 9,996 fits; a 1,429th would make 10,003.
    expect(accepted).toBe(1428);
    const usage = await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests');
    expect(usage.used).toBe('9996');
    const stored = await storedEvents(org.id, 'api_requests');
    expect(stored).toEqual({ count: 1428, total: new Decimal(9996) });
  });
});
