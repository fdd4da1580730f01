import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, recordBatch, uniqueKey, usageOf } from './support/usage.ts';

/** Input that once took its neighbours down with it, or was counted as something else. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function tenant() {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
  return { ...org, ingestKey: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST') };
}

// The largest quantity one event may carry: 26 digits before the point, as numeric(38,12) holds.
const NEAR_MAX = `9${'0'.repeat(25)}`;

describe('a total past what the database holds', () => {
  it('fails alone among 80 concurrent recordUsage calls of its organization', {
    timeout: 60_000,
  }, async () => {
    const org = await tenant();
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: NEAR_MAX,
      idempotencyKey: uniqueKey(),
    });
    const calls = Array.from({ length: 80 }, (_, i) =>
      record(server.graphqlUrl, org.ingestKey, {
        meter: 'api_requests',
        // The 40th takes the total to 18 × 10^25: 27 digits.
        quantity: i === 40 ? NEAR_MAX : '1',
        idempotencyKey: uniqueKey(),
      }),
    );
    const results = await Promise.all(calls);
    const bad = results[40];
    expect(bad).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['quantity'], message: expect.stringContaining('largest total') }],
    });
    const good = results.filter((_, i) => i !== 40);
    expect(good.every((r) => r.__typename === 'RecordUsageSuccess')).toBe(true);
    // 9 × 10^25 + 79 × 1
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe(
      `9${'0'.repeat(23)}79`,
    );
  });

  it('is rejected by index in a batch, over GraphQL and REST, the others stored', async () => {
    const org = await tenant();
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: NEAR_MAX,
      idempotencyKey: uniqueKey(),
    });
    const batch = await recordBatch(server.graphqlUrl, org.ingestKey, [
      { meter: 'api_requests', quantity: '2', idempotencyKey: uniqueKey() },
      { meter: 'api_requests', quantity: NEAR_MAX, idempotencyKey: uniqueKey() },
      { meter: 'storage_gb', quantity: '3', idempotencyKey: uniqueKey() },
    ]);
    expect(batch).toMatchObject({
      accepted: 2,
      rejected: [{ index: 1, error: { __typename: 'ValidationError' } }],
    });
    const rest = await fetch(`${server.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { meter: 'api_requests', quantity: NEAR_MAX, idempotencyKey: uniqueKey() },
        { meter: 'api_requests', quantity: '5', idempotencyKey: uniqueKey() },
      ]),
    });
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, error: { type: 'ValidationError' } }],
    });
    // 9 × 10^25 + 2 + 5
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe(
      `9${'0'.repeat(24)}7`,
    );
  });
});

describe('idempotency keys', () => {
  it('are compared exactly as sent: " batch-7 " is not "batch-7"', async () => {
    const org = await tenant();
    const first = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: 'batch-7',
    });
    const spaced = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '5',
      idempotencyKey: ' batch-7 ',
    });
    expect(first).toMatchObject({ duplicate: false, event: { idempotencyKey: 'batch-7' } });
    expect(spaced).toMatchObject({ duplicate: false, event: { idempotencyKey: ' batch-7 ' } });
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('15');
  });
});

describe('a 32 MiB body of empty objects', () => {
  it('is refused at the 10,001st event, without holding the body as objects', async () => {
    const org = await tenant();
    // 32 MiB less a little: under the byte cap, so that the event cap is what stops it.
    const body = Buffer.from(`[${'{},'.repeat(11_000_000)}{}]`);
    expect(body.length).toBeLessThan(32 * 1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const response = await fetch(`${server.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.ingestKey}`, 'content-type': 'application/json' },
      body,
    });
    clearInterval(sampler);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: 'At most 10000 events per request; nothing was stored',
    });
    // Parsed whole, 11 million objects took over a gigabyte.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('0');
  });
});
