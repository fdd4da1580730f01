import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, recordBatch, testClock, uniqueKey, usageOf } from './support/usage.ts';

/** The server's clock: mid-March 2026, so that month boundaries are ours to cross. */
const clock = testClock('2026-03-16T12:00:00.000Z');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({}, undefined, { now: clock.now });
});
afterAll(() => server?.stop());

async function tenant(planKey = 'starter'): Promise<TestOrganization & { ingestKey: string }> {
  clock.set('2026-03-01T00:00:00.000Z');
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  clock.set('2026-03-16T12:00:00.000Z');
  return { ...org, ingestKey: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST') };
}

describe('recordUsage', () => {
  it('stores an event, counts it in the period total, and answers the usage', async () => {
    const org = await tenant();
    const key = uniqueKey();
    const result = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '1500',
      idempotencyKey: key,
      metadata: { endpoint: '/v1/search' },
    });
    expect(result).toMatchObject({
      __typename: 'RecordUsageSuccess',
      duplicate: false,
      event: {
        meter: { key: 'api_requests' },
        quantity: '1500',
        idempotencyKey: key,
        // occurredAt defaults to the time of receipt
        occurredAt: '2026-03-16T12:00:00.000Z',
        receivedAt: '2026-03-16T12:00:00.000Z',
        metadata: { endpoint: '/v1/search' },
      },
      usage: {
        used: '1500',
        limit: '100000',
        pct: 1.5,
        status: 'OK',
        mode: 'OVERAGE',
        remaining: '98500',
      },
    });
  });

  it('counts a retry with the same key zero more times and answers the original event', async () => {
    const org = await tenant();
    const key = uniqueKey();
    const first = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: key,
    });
    const same = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: key,
    });
    const different = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'bandwidth_gb',
      quantity: '99',
      idempotencyKey: key,
    });
    expect(same).toMatchObject({ duplicate: true, event: first.event, usage: { used: '10' } });
    expect(different).toMatchObject({ duplicate: true, event: first.event });
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('10');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'bandwidth_gb')).used).toBe('0');
  });

  it('keeps exact decimals', async () => {
    const org = await tenant();
    for (const quantity of ['0.1', '0.2', '0.000000000001']) {
      await record(server.graphqlUrl, org.ingestKey, {
        meter: 'bandwidth_gb',
        quantity,
        idempotencyKey: uniqueKey(),
      });
    }
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'bandwidth_gb')).used).toBe(
      '0.300000000001',
    );
  });
});

describe('aggregations', () => {
  it('SUM adds, MAX keeps the peak, LAST keeps the latest occurredAt even when it arrives first', async () => {
    const org = await tenant();
    const at = (iso: string, meter: string, quantity: string) =>
      record(server.graphqlUrl, org.ingestKey, {
        meter,
        quantity,
        idempotencyKey: uniqueKey(),
        occurredAt: iso,
      });
    await at('2026-03-10T00:00:00.000Z', 'storage_gb', '4');
    await at('2026-03-11T00:00:00.000Z', 'storage_gb', '7.5');
    await at('2026-03-12T00:00:00.000Z', 'storage_gb', '3');
    // seats: the latest event (by occurredAt) arrives first, older ones after it
    await at('2026-03-15T00:00:00.000Z', 'seats', '2');
    await at('2026-03-14T00:00:00.000Z', 'seats', '5');
    await at('2026-03-13T00:00:00.000Z', 'seats', '4');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'storage_gb')).used).toBe('7.5');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'seats')).used).toBe('2');
    await at('2026-03-15T06:00:00.000Z', 'seats', '3');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'seats')).used).toBe('3');
  });

  it('COUNT takes 1 per event whatever the quantity', async () => {
    // Meters are global: this one goes into a database of its own, not the one tests share.
    const storage = await createIsolatedStorage();
    const own = await startTestServer({}, storage);
    try {
      await own
        .db()
        .execute(
          sql`insert into meters (key, name, unit, aggregation) values ('logins', 'Logins', 'login', 'COUNT')`,
        );
      const org = await createOrganization(own.graphqlUrl, own.adminKey, { planKey: 'starter' });
      for (const quantity of ['5', '0.5', '100']) {
        await record(own.graphqlUrl, org.ownerKey, {
          meter: 'logins',
          quantity,
          idempotencyKey: uniqueKey(),
        });
      }
      const usage = await usageOf(own.graphqlUrl, org.ownerKey, 'logins');
      // Not in the plan: counted, unlimited.
      expect(usage).toMatchObject({
        used: '3',
        limit: null,
        pct: null,
        mode: 'SOFT',
        status: 'OK',
      });
    } finally {
      await own.stop();
      await storage.drop();
    }
  });
});

describe('periods', () => {
  it('puts 23:59:59.999 on the last day in that month and 00:00:00.000 on the 1st in the next', async () => {
    const org = await tenant();
    clock.set('2026-04-01T10:00:00.000Z');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '7',
      idempotencyKey: uniqueKey(),
      occurredAt: '2026-03-31T23:59:59.999Z',
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '11',
      idempotencyKey: uniqueKey(),
      occurredAt: '2026-04-01T00:00:00.000Z',
    });
    const april = await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests');
    expect(april).toMatchObject({
      used: '11',
      periodStart: '2026-04-01T00:00:00.000Z',
      periodEnd: '2026-05-01T00:00:00.000Z',
    });
    clock.set('2026-03-31T23:59:59.999Z');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('7');
    clock.set('2026-03-16T12:00:00.000Z');
  });

  it('counts a late event in its own period within the grace window and refuses it after', async () => {
    const org = await tenant();
    clock.set('2026-04-02T23:59:59.999Z'); // 48 h after March ended, less 1 ms
    const inside = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '5',
      idempotencyKey: uniqueKey(),
      occurredAt: '2026-03-20T00:00:00.000Z',
    });
    expect(inside.__typename).toBe('RecordUsageSuccess');
    clock.set('2026-04-03T00:00:00.000Z');
    const outside = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '5',
      idempotencyKey: uniqueKey(),
      occurredAt: '2026-03-20T00:00:00.000Z',
    });
    expect(outside).toEqual({
      __typename: 'ValidationError',
      message: expect.stringContaining('closed for usage since 2026-04-03T00:00:00.000Z'),
      fieldErrors: [
        {
          path: ['occurredAt'],
          message:
            'lies in the period 2026-03, closed for usage since 2026-04-03T00:00:00.000Z (48 h after it ended)',
        },
      ],
    });
    clock.set('2026-03-31T12:00:00.000Z');
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('5');
    clock.set('2026-03-16T12:00:00.000Z');
  });

  it('refuses events more than 5 minutes in the future', async () => {
    const org = await tenant();
    const later = (ms: number) =>
      new Date(Date.parse('2026-03-16T12:00:00.000Z') + ms).toISOString();
    const ok = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: uniqueKey(),
      occurredAt: later(300_000),
    });
    expect(ok.__typename).toBe('RecordUsageSuccess');
    const tooLate = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: uniqueKey(),
      occurredAt: later(300_001),
    });
    expect(tooLate.fieldErrors).toEqual([
      { path: ['occurredAt'], message: 'is more than 5 minutes in the future' },
    ]);
  });
});

describe('overage money', () => {
  it('starter with 100,000 + 12,345 requests: 12,345 × $0.0005 = $6.17', async () => {
    const org = await tenant('starter');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '100000',
      idempotencyKey: uniqueKey(),
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '12345',
      idempotencyKey: uniqueKey(),
    });
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).toMatchObject({
      used: '112345',
      limit: '100000',
      overage: '12345',
      overageCost: { amount: '617', currency: 'usd', formatted: '$6.17' },
      status: 'EXCEEDED',
      blocked: false,
      remaining: '0',
    });
  });

  it('scale with 60,000,000 requests: 40,000,000 × $0.0002 + 10,000,000 × $0.0001 = $9,000.00', async () => {
    const org = await tenant('scale');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '60000000',
      idempotencyKey: uniqueKey(),
    });
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).toMatchObject({
      used: '60000000',
      overage: '50000000',
      overageCost: { amount: '900000', formatted: '$9,000.00' },
    });
  });
});

describe('limit modes', () => {
  it('a HARD gauge (seats, LAST) reads at limit at 3 of 3, and its refusal never resets', async () => {
    const org = await tenant('free');
    const atLimit = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'seats',
      quantity: '3',
      idempotencyKey: uniqueKey(),
    });
    expect(atLimit.usage).toMatchObject({
      used: '3',
      limit: '3',
      pct: 100,
      status: 'WARNING',
      blocked: true,
      remaining: '0',
    });
    const refused = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'seats',
      quantity: '4',
      idempotencyKey: uniqueKey(),
    });
    expect(refused).toMatchObject({
      __typename: 'QuotaExceededError',
      meter: { key: 'seats' },
      limit: '3',
      used: '3',
      requested: '4',
      resetsAt: null,
    });
    expect(refused.message).toContain('does not reset with the period');
  });

  it('HARD refuses what would pass the limit, stores nothing of it, and shows blocked at the limit', async () => {
    const org = await tenant('free');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '9990',
      idempotencyKey: uniqueKey(),
    });
    const refused = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '11',
      idempotencyKey: uniqueKey(),
    });
    expect(refused).toEqual({
      __typename: 'QuotaExceededError',
      message: expect.any(String),
      meter: { key: 'api_requests' },
      limit: '10000',
      used: '9990',
      requested: '11',
      resetsAt: '2026-04-01T00:00:00.000Z',
    });
    const exact = await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '10',
      idempotencyKey: uniqueKey(),
    });
    expect(exact.usage).toMatchObject({
      used: '10000',
      blocked: true,
      status: 'EXCEEDED',
      pct: 100,
      remaining: '0',
    });
  });

  it('SOFT (an ADMIN override) stores past the limit as EXCEEDED, with no charge', async () => {
    const org = await tenant('starter');
    const override = await gql(
      server.graphqlUrl,
      `mutation ($input: QuotaOverrideInput!) { setQuotaOverride(input: $input) {
        __typename ... on QuotaOverrideSuccess { usage { limit mode } } } }`,
      {
        key: server.adminKey,
        variables: {
          input: { organizationId: org.id, meter: 'api_requests', limit: '1000', mode: 'SOFT' },
        },
      },
    );
    expect(override.data?.setQuotaOverride).toEqual({
      __typename: 'QuotaOverrideSuccess',
      usage: { limit: '1000', mode: 'SOFT' },
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '1500',
      idempotencyKey: uniqueKey(),
    });
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).toMatchObject({
      used: '1500',
      status: 'EXCEEDED',
      blocked: false,
      overage: '500',
      overageCost: { amount: '0' },
    });
  });

  it('shows WARNING from 75 %', async () => {
    const org = await tenant('free');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '7499',
      idempotencyKey: uniqueKey(),
    });
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).status).toBe('OK');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: uniqueKey(),
    });
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).status).toBe('WARNING');
  });
});

describe('usage figures', () => {
  it('projects counters linearly over the period and keeps gauges where they are', async () => {
    const org = await tenant('free');
    // March has 31 days; on the 16th at 12:00, 15.5 days have passed.
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '3100',
      idempotencyKey: uniqueKey(),
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'storage_gb',
      quantity: '0.5',
      idempotencyKey: uniqueKey(),
    });
    const requests = await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests');
    expect(requests).toMatchObject({
      projected: '6200',
      onTrack: true,
      periodStart: '2026-03-01T00:00:00.000Z',
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '2000',
      idempotencyKey: uniqueKey(),
    });
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).toMatchObject({
      projected: '10200',
      onTrack: false,
    });
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'storage_gb')).toMatchObject({
      projected: '0.5',
      onTrack: true,
    });
  });

  it('lists every meter of the plan for every role of the organization', async () => {
    const org = await tenant('growth');
    const viewer = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');
    for (const key of [org.ownerKey, viewer, org.ingestKey]) {
      const response = await gql(server.graphqlUrl, '{ usage { meter { key } limit mode } }', {
        key,
      });
      const byMeter = Object.fromEntries(response.data?.usage.map((u: any) => [u.meter.key, u]));
      expect(byMeter.api_requests).toEqual({
        meter: { key: 'api_requests' },
        limit: '1000000',
        mode: 'OVERAGE',
      });
      expect(byMeter.seats).toEqual({ meter: { key: 'seats' }, limit: '20', mode: 'HARD' });
    }
  });
});

describe('checkQuota', () => {
  it('answers whether a quantity may be recorded, without reserving it', async () => {
    const org = await tenant('free');
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'seats',
      quantity: '2',
      idempotencyKey: uniqueKey(),
    });
    await record(server.graphqlUrl, org.ingestKey, {
      meter: 'api_requests',
      quantity: '9999',
      idempotencyKey: uniqueKey(),
    });
    const response = await gql(
      server.graphqlUrl,
      `{
        one: checkQuota(meter: "api_requests") { allowed requested used limit remaining mode reason }
        two: checkQuota(meter: "api_requests", quantity: "2") { allowed reason }
        seats: checkQuota(meter: "seats", quantity: "3") { allowed remaining }
        tooMany: checkQuota(meter: "seats", quantity: "4") { allowed }
      }`,
      { key: org.ingestKey },
    );
    expect(response.data).toEqual({
      one: {
        allowed: true,
        requested: '1',
        used: '9999',
        limit: '10000',
        remaining: '1',
        mode: 'HARD',
        reason: null,
      },
      two: {
        allowed: false,
        reason:
          '2 requests more would take api_requests past its HARD limit of 10000 (9999 used this period)',
      },
      seats: { allowed: true, remaining: '1' },
      tooMany: { allowed: false },
    });
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('9999');
  });
});

describe('usageHistory', () => {
  it('buckets a meter by day or hour in UTC, zero where nothing happened', async () => {
    const org = await tenant('starter');
    await recordBatch(server.graphqlUrl, org.ingestKey, [
      {
        meter: 'api_requests',
        quantity: '1',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-10T01:00:00.000Z',
      },
      {
        meter: 'api_requests',
        quantity: '2',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-10T23:59:59.999Z',
      },
      {
        meter: 'api_requests',
        quantity: '4',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-12T00:00:00.000Z',
      },
    ]);
    const days = await gql(
      server.graphqlUrl,
      '{ usageHistory(meter: "api_requests", from: "2026-03-10T00:00:00Z", to: "2026-03-13T00:00:00Z") { start quantity } }',
      { key: org.ownerKey },
    );
    expect(days.data?.usageHistory).toEqual([
      { start: '2026-03-10T00:00:00.000Z', quantity: '3' },
      { start: '2026-03-11T00:00:00.000Z', quantity: '0' },
      { start: '2026-03-12T00:00:00.000Z', quantity: '4' },
    ]);
    const hours = await gql(
      server.graphqlUrl,
      '{ usageHistory(meter: "api_requests", from: "2026-03-10T00:00:00Z", to: "2026-03-10T03:00:00Z", granularity: HOUR) { start quantity } }',
      { key: org.ownerKey },
    );
    expect(hours.data?.usageHistory.map((p: any) => p.quantity)).toEqual(['0', '1', '0']);
  });
});

describe('recordUsageBatch', () => {
  it('stores the good events and reports each refused one by index with its typed error', async () => {
    const org = await tenant('free');
    const dup = uniqueKey();
    const result = await recordBatch(server.graphqlUrl, org.ingestKey, [
      { meter: 'api_requests', quantity: '10', idempotencyKey: dup },
      { meter: 'api_requests', quantity: '-1', idempotencyKey: uniqueKey() },
      { meter: 'seats', quantity: '4', idempotencyKey: uniqueKey() },
      { meter: 'api_requests', quantity: '10', idempotencyKey: dup },
      { meter: 'nope', quantity: '1', idempotencyKey: uniqueKey() },
      { meter: 'api_requests', quantity: '5', idempotencyKey: uniqueKey() },
    ]);
    expect(result).toEqual({
      __typename: 'RecordUsageBatchSuccess',
      accepted: 2,
      duplicates: 1,
      rejected: [
        {
          index: 1,
          error: {
            __typename: 'ValidationError',
            message: expect.any(String),
            fieldErrors: [{ path: ['quantity'], message: 'must be greater than 0' }],
          },
        },
        {
          index: 2,
          error: {
            __typename: 'QuotaExceededError',
            message: expect.any(String),
            limit: '3',
            used: '0',
            requested: '4',
          },
        },
        {
          index: 4,
          error: {
            __typename: 'ValidationError',
            message: expect.any(String),
            fieldErrors: [
              { path: ['meter'], message: 'unknown meter "nope"; see the meters query' },
            ],
          },
        },
      ],
      usage: [{ meter: { key: 'api_requests' }, used: '15' }],
    });
  });
});
