import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization } from './support/fixtures.ts';
import { errorCodes, gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { RECORD, RECORD_BATCH, record, uniqueKey, usageOf } from './support/usage.ts';

/** Bad usage input: a typed error, and nothing stored. */
let server: TestServer;
let ownerKey: string;
let ingestKey: string;
let viewerKey: string;

beforeAll(async () => {
  server = await startTestServer();
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
  ownerKey = org.ownerKey;
  ingestKey = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
  viewerKey = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');
});
afterAll(() => server?.stop());

async function eventCount(): Promise<number> {
  const usage = await gql(server.graphqlUrl, '{ usage { used } }', { key: ownerKey });
  return usage.data?.usage.reduce((sum: number, u: { used: string }) => sum + Number(u.used), 0);
}

const cases: [string, Record<string, unknown>, string[], RegExp][] = [
  ['a negative quantity', { quantity: '-5' }, ['quantity'], /greater than 0/],
  ['a zero quantity', { quantity: '0' }, ['quantity'], /greater than 0/],
  ['NaN', { quantity: 'NaN' }, ['quantity'], /not a plain decimal/],
  ['1e400', { quantity: '1e400' }, ['quantity'], /not a plain decimal/],
  [
    'more than 12 decimal places',
    { quantity: '0.0000000000001' },
    ['quantity'],
    /at most 12 digits after/,
  ],
  ['too many digits', { quantity: '1'.repeat(27) }, ['quantity'], /at most 26 digits before/],
  ['an unknown meter', { meter: 'rockets' }, ['meter'], /unknown meter "rockets"/],
  ['an empty idempotency key', { idempotencyKey: '  ' }, ['idempotencyKey'], /must not be empty/],
  [
    'an over-long idempotency key',
    { idempotencyKey: 'x'.repeat(256) },
    ['idempotencyKey'],
    /at most 255/,
  ],
  [
    'metadata too large',
    { metadata: { blob: 'x'.repeat(3000) } },
    ['metadata'],
    /at most 2048 bytes/,
  ],
  [
    // The organization is created when the suite starts: an hour before, no plan bills usage.
    'a time before the organization existed',
    { occurredAt: new Date(Date.now() - 3_600_000).toISOString() },
    ['occurredAt'],
    /is before the organization was created \(\d{4}-\d\d-\d\dT[\d:.]+Z\): no plan bills usage from then/,
  ],
  // Postgres refuses NUL in text and jsonb; a lone surrogate would be stored as U+FFFD.
  ['a NUL in the idempotency key', { idempotencyKey: 'k\u0000' }, ['idempotencyKey'], /NUL/],
  [
    'a lone surrogate in the idempotency key',
    { idempotencyKey: 'k\uD800' },
    ['idempotencyKey'],
    /valid Unicode/,
  ],
  ['a NUL in the meter', { meter: 'api_requests\u0000' }, ['meter'], /NUL/],
  ['a NUL in metadata', { metadata: { note: 'a\u0000b' } }, ['metadata'], /NUL/],
  ['a lone surrogate in a metadata key', { metadata: { '\uDC00': 1 } }, ['metadata'], /Unicode/],
  [
    'metadata nested 9 deep',
    { metadata: { a: { a: { a: { a: { a: { a: { a: { a: { a: 1 } } } } } } } } } },
    ['metadata'],
    /nested at most 8 levels deep/,
  ],
];

describe.each(cases)('recordUsage with %s', (_label, change, path, message) => {
  it('answers a ValidationError naming the field and stores nothing', async () => {
    const before = await eventCount();
    const result = await record(server.graphqlUrl, ingestKey, {
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: uniqueKey(),
      ...change,
    } as never);
    expect(result.__typename).toBe('ValidationError');
    expect(result.fieldErrors[0].path).toEqual(path);
    expect(result.fieldErrors[0].message).toMatch(message);
    expect(await eventCount()).toBe(before);
  });
});

describe('recordUsageBatch limits', () => {
  it('refuses more than 1,000 events as a whole and stores none', async () => {
    const before = await eventCount();
    const input = Array.from({ length: 1001 }, () => ({
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: uniqueKey(),
    }));
    const response = await gql(server.graphqlUrl, RECORD_BATCH, {
      key: ingestKey,
      variables: { input },
    });
    expect(response.data?.recordUsageBatch).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [
        {
          path: ['input'],
          message: 'must hold at most 1000 events (got 1001); nothing was recorded',
        },
      ],
    });
    expect(await eventCount()).toBe(before);
  });

  it('refuses a quantity that is a JSON number with a fraction (it has been a float)', async () => {
    const response = await gql(server.graphqlUrl, RECORD, {
      key: ingestKey,
      variables: { input: { meter: 'api_requests', quantity: 0.1, idempotencyKey: uniqueKey() } },
    });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/Decimal must be a string/);
  });
});

describe('roles', () => {
  it('refuses recording with a VIEWER key (FORBIDDEN) and stores nothing', async () => {
    const before = await eventCount();
    const response = await gql(server.graphqlUrl, RECORD, {
      key: viewerKey,
      variables: { input: { meter: 'api_requests', quantity: '1', idempotencyKey: uniqueKey() } },
    });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await eventCount()).toBe(before);
  });

  it('refuses recording with an ADMIN key: it belongs to no organization', async () => {
    const response = await gql(server.graphqlUrl, RECORD, {
      key: server.adminKey,
      variables: { input: { meter: 'api_requests', quantity: '1', idempotencyKey: uniqueKey() } },
    });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  });

  it('refuses setQuotaOverride to anyone but ADMIN', async () => {
    const response = await gql(
      server.graphqlUrl,
      'mutation { setQuotaOverride(input: { organizationId: "x", meter: "seats", limit: "100", mode: HARD }) { __typename } }',
      { key: ownerKey },
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  });
});

describe('setQuotaOverride input', () => {
  const SET = `mutation ($input: QuotaOverrideInput!) { setQuotaOverride(input: $input) {
    __typename ... on NotFoundError { message } ... on ValidationError { fieldErrors { path message } } } }`;

  it('answers NotFoundError for an unknown organization', async () => {
    const response = await gql(server.graphqlUrl, SET, {
      key: server.adminKey,
      variables: {
        input: { organizationId: 'org_missing', meter: 'seats', limit: '10', mode: 'HARD' },
      },
    });
    expect(response.data?.setQuotaOverride).toEqual({
      __typename: 'NotFoundError',
      message: 'Organization not found',
    });
  });

  it('refuses a price on a non-OVERAGE limit, a negative limit, and an OVERAGE without a price', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const attempts = [
      [
        { meter: 'seats', limit: '10', mode: 'HARD', overageUnitPrice: '1' },
        ['input', 'overageUnitPrice'],
      ],
      [{ meter: 'seats', limit: '-1', mode: 'HARD' }, ['input', 'limit']],
      [{ meter: 'seats', limit: '10', mode: 'OVERAGE' }, ['input', 'overageUnitPrice']],
      [{ meter: 'warp', limit: '10', mode: 'HARD' }, ['input', 'meter']],
    ] as const;
    for (const [input, path] of attempts) {
      const response = await gql(server.graphqlUrl, SET, {
        key: server.adminKey,
        variables: { input: { organizationId: org.id, ...input } },
      });
      expect(response.data?.setQuotaOverride.__typename, JSON.stringify(input)).toBe(
        'ValidationError',
      );
      expect(response.data?.setQuotaOverride.fieldErrors[0].path).toEqual(path);
    }
    // Nothing changed: seats is still the free plan's 3.
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    expect((await usageOf(server.graphqlUrl, ingest, 'seats')).limit).toBe('3');
  });
});

describe('reads', () => {
  it('answer an unknown meter and an inverted range with BAD_USER_INPUT', async () => {
    const unknown = await gql(server.graphqlUrl, '{ usage(meter: "warp") { used } }', {
      key: viewerKey,
    });
    expect(errorCodes(unknown)).toEqual(['BAD_USER_INPUT']);
    const check = await gql(
      server.graphqlUrl,
      '{ checkQuota(meter: "api_requests", quantity: "-1") { allowed } }',
      { key: viewerKey },
    );
    expect(errorCodes(check)).toEqual(['BAD_USER_INPUT']);
    const inverted = await gql(
      server.graphqlUrl,
      '{ usageHistory(meter: "api_requests", from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z") { start } }',
      { key: viewerKey },
    );
    expect(inverted.errors?.[0]?.extensions?.fieldErrors).toEqual([
      { path: ['to'], message: 'must be after from' },
    ]);
    const tooLong = await gql(
      server.graphqlUrl,
      '{ usageHistory(meter: "api_requests", from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z", granularity: HOUR) { start } }',
      { key: viewerKey },
    );
    expect(tooLong.errors?.[0]?.extensions?.fieldErrors).toEqual([
      { path: ['to'], message: 'the range may hold at most 1000 points' },
    ]);
  });
});
