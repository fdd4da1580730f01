import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, errorCodes, gql, sleep, wsClient } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { openEventStream } from './support/sse.ts';
import { record, recordBatch, uniqueKey } from './support/usage.ts';

/** Live usage and threshold alerts over graphql-ws and Server-Sent Events. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const USAGE_UPDATED = `subscription ($meter: String, $org: ID) {
  usageUpdated(meter: $meter, organizationId: $org) { meter { key } used limit pct status }
}`;
const THRESHOLD_CROSSED = `subscription ($org: ID) {
  thresholdCrossed(organizationId: $org) { meter { key } threshold used limit pct }
}`;

async function tenant(
  planKey = 'free',
): Promise<TestOrganization & { viewer: string; ingest: string }> {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  return {
    ...org,
    viewer: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER'),
    ingest: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST'),
  };
}

describe('over graphql-ws', () => {
  it('delivers new totals and each threshold crossing once, in order', async () => {
    const org = await tenant('free'); // api_requests: 10,000 HARD
    const client = wsClient(server.graphqlUrl, org.viewer);
    try {
      const usage = collect(client, USAGE_UPDATED, { meter: 'api_requests' });
      const alerts = collect(client, THRESHOLD_CROSSED);
      await sleep(200); // the subscriptions are registered
      await record(server.graphqlUrl, org.ingest, {
        meter: 'api_requests',
        quantity: '4000',
        idempotencyKey: uniqueKey(),
      });
      await usage.waitFor(1);
      expect(usage.results[0]?.data?.usageUpdated).toEqual({
        meter: { key: 'api_requests' },
        used: '4000',
        limit: '10000',
        pct: 40,
        status: 'OK',
      });
      // One event from 40 % to 95 %: 50, 75 and 90 fire, in that order.
      await record(server.graphqlUrl, org.ingest, {
        meter: 'api_requests',
        quantity: '5500',
        idempotencyKey: uniqueKey(),
      });
      await alerts.waitFor(3);
      await sleep(300);
      expect(alerts.results.map((r) => r.data?.thresholdCrossed.threshold)).toEqual([50, 75, 90]);
      expect(alerts.results[2]?.data?.thresholdCrossed).toEqual({
        meter: { key: 'api_requests' },
        threshold: 90,
        used: '9500',
        limit: '10000',
        pct: 95,
      });
      // A retry counts nothing and fires nothing; reaching the limit fires 100.
      await record(server.graphqlUrl, org.ingest, {
        meter: 'api_requests',
        quantity: '500',
        idempotencyKey: 'last',
      });
      await record(server.graphqlUrl, org.ingest, {
        meter: 'api_requests',
        quantity: '500',
        idempotencyKey: 'last',
      });
      await alerts.waitFor(4);
      await usage.waitFor(3);
      await sleep(500);
      expect(alerts.results.map((r) => r.data?.thresholdCrossed.threshold)).toEqual([
        50, 75, 90, 100,
      ]);
      expect(usage.results.at(-1)?.data?.usageUpdated).toMatchObject({
        used: '10000',
        status: 'EXCEEDED',
      });

      const listed = await gql(
        server.graphqlUrl,
        '{ alerts(first: 10) { edges { node { threshold used } } } }',
        { key: org.viewer },
      );
      expect(listed.data?.alerts.edges.map((e: any) => e.node.threshold)).toEqual([
        100, 90, 75, 50,
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('coalesces 1,000 events in a second into a few messages, the last one the final total', async () => {
    const org = await tenant('growth');
    const client = wsClient(server.graphqlUrl, org.viewer);
    try {
      const usage = collect(client, USAGE_UPDATED, { meter: 'api_requests' });
      await sleep(200);
      const started = Date.now();
      for (let batch = 0; batch < 10; batch++) {
        await recordBatch(
          server.graphqlUrl,
          org.ingest,
          Array.from({ length: 100 }, () => ({
            meter: 'api_requests',
            quantity: '1',
            idempotencyKey: uniqueKey(),
          })),
        );
        await sleep(Math.max(0, started + (batch + 1) * 100 - Date.now()));
      }
      await sleep(800); // the trailing edge
      const totals = usage.results.map((r) => r.data?.usageUpdated.used);
      expect(totals.length).toBeGreaterThanOrEqual(2);
      expect(totals.length).toBeLessThanOrEqual(6);
      expect(totals.at(-1)).toBe('1000');
    } finally {
      await client.dispose();
    }
  });

  it("never hands a subscriber another organization's events", async () => {
    const a = await tenant('starter');
    const b = await tenant('starter');
    const clientA = wsClient(server.graphqlUrl, a.viewer);
    try {
      const usage = collect(clientA, USAGE_UPDATED, {});
      await sleep(200);
      await Promise.all([
        record(server.graphqlUrl, a.ingest, {
          meter: 'bandwidth_gb',
          quantity: '1',
          idempotencyKey: uniqueKey(),
        }),
        record(server.graphqlUrl, b.ingest, {
          meter: 'bandwidth_gb',
          quantity: '22',
          idempotencyKey: uniqueKey(),
        }),
        record(server.graphqlUrl, b.ingest, {
          meter: 'storage_gb',
          quantity: '9',
          idempotencyKey: uniqueKey(),
        }),
      ]);
      await sleep(600);
      expect(usage.results.map((r) => r.data?.usageUpdated)).toEqual([
        { meter: { key: 'bandwidth_gb' }, used: '1', limit: '25', pct: 4, status: 'OK' },
      ]);
    } finally {
      await clientA.dispose();
    }
  });

  it('lets VIEWER and ADMIN (naming the organization) subscribe, and refuses INGEST and strangers', async () => {
    const a = await tenant('starter');
    const b = await tenant('starter');
    const attempt = async (key: string, variables: Record<string, unknown>) => {
      const client = wsClient(server.graphqlUrl, key);
      const sub = collect(client, THRESHOLD_CROSSED, variables);
      const outcome = await Promise.race([sub.ended, sleep(500).then(() => 'open')]);
      await client.dispose();
      // A refused subscription answers with a result that carries the errors.
      return sub.results[0]?.errors ?? outcome;
    };
    expect(await attempt(a.viewer, {})).toBe('open');
    expect(await attempt(a.viewer, { org: a.id })).toBe('open');
    expect(await attempt(server.adminKey, { org: b.id })).toBe('open');
    const ingest = (await attempt(a.ingest, {})) as { extensions?: { code?: string } }[];
    expect(ingest[0]?.extensions?.code).toBe('FORBIDDEN');
    const stranger = (await attempt(a.viewer, { org: b.id })) as {
      extensions?: { code?: string };
    }[];
    expect(stranger[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = wsClient(server.graphqlUrl);
    collect(anonymous, THRESHOLD_CROSSED);
    expect((await anonymous.closedWith).code).toBe(4401);
  });

  it('ends the sockets of a revoked key', async () => {
    const org = await tenant('starter');
    const created = await gql(
      server.graphqlUrl,
      'mutation ($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) { ... on CreateApiKeySuccess { apiKey { id secret } } } }',
      { key: org.ownerKey, variables: { o: org.id } },
    );
    const { id, secret } = created.data?.createApiKey.apiKey ?? {};
    const client = wsClient(server.graphqlUrl, secret);
    const sub = collect(client, USAGE_UPDATED, {});
    await sleep(300);
    const revoked = await gql(
      server.graphqlUrl,
      'mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }',
      {
        key: org.ownerKey,
        variables: { id },
      },
    );
    expect(revoked.data?.revokeApiKey.__typename).toBe('CreateApiKeySuccess');
    expect((await client.closedWith).code).toBe(4403);
    expect(sub.results).toEqual([]);
    expect(
      errorCodes(await gql(server.graphqlUrl, '{ viewer { role } }', { key: secret })),
    ).toEqual(['UNAUTHENTICATED']);
    // Another organization's key is not found.
    const other = await tenant('starter');
    const refused = await gql(
      server.graphqlUrl,
      'mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }',
      {
        key: other.ownerKey,
        variables: { id },
      },
    );
    expect(refused.data?.revokeApiKey.__typename).toBe('NotFoundError');
  });
});

describe('over Server-Sent Events', () => {
  it('delivers the same totals and crossings', async () => {
    const org = await tenant('free');
    const stream = await openEventStream(
      server.graphqlUrl,
      org.viewer,
      'subscription { thresholdCrossed { threshold used } }',
    );
    await sleep(300);
    await record(server.graphqlUrl, org.ingest, {
      meter: 'api_requests',
      quantity: '7600',
      idempotencyKey: uniqueKey(),
    });
    for (let i = 0; i < 40 && stream.events.length < 2; i++) await sleep(100);
    await stream.close();
    expect(stream.events).toEqual([
      { data: { thresholdCrossed: { threshold: 50, used: '7600' } } },
      { data: { thresholdCrossed: { threshold: 75, used: '7600' } } },
    ]);
  });
});

describe('thresholds and limit changes', () => {
  it('fire newly crossed thresholds when an ADMIN lowers the limit; fired ones stay fired', async () => {
    const org = await tenant('starter'); // api_requests: 100,000 OVERAGE
    await record(server.graphqlUrl, org.ingest, {
      meter: 'api_requests',
      quantity: '60000',
      idempotencyKey: uniqueKey(),
    });
    const set = (limit: string) =>
      gql(
        server.graphqlUrl,
        'mutation ($i: QuotaOverrideInput!) { setQuotaOverride(input: $i) { __typename } }',
        {
          key: server.adminKey,
          variables: {
            i: { organizationId: org.id, meter: 'api_requests', limit, mode: 'OVERAGE' },
          },
        },
      );
    const thresholds = async () =>
      (
        await gql(server.graphqlUrl, '{ alerts { edges { node { threshold limit } } } }', {
          key: org.viewer,
        })
      ).data?.alerts.edges.map((e: any) => [e.node.threshold, e.node.limit]);
    expect(await thresholds()).toEqual([[50, '100000']]);
    await set('70000');
    expect(await thresholds()).toEqual([
      [75, '70000'],
      [50, '100000'],
    ]);
    await set('200000');
    await record(server.graphqlUrl, org.ingest, {
      meter: 'api_requests',
      quantity: '10000',
      idempotencyKey: uniqueKey(),
    });
    expect(await thresholds()).toEqual([
      [75, '70000'],
      [50, '100000'],
    ]);
  });

  it('never fires for an unlimited meter', async () => {
    const org = await tenant('scale'); // seats: unlimited
    await record(server.graphqlUrl, org.ingest, {
      meter: 'seats',
      quantity: '5000',
      idempotencyKey: uniqueKey(),
    });
    const alerts = await gql(server.graphqlUrl, '{ alerts { edges { node { threshold } } } }', {
      key: org.viewer,
    });
    expect(alerts.data?.alerts.edges).toEqual([]);
  });
});

describe('alert e-mails without SMTP_URL', () => {
  it('are kept in the outbox, for an ADMIN to see', async () => {
    const email = `ops-${uniqueKey()}@outbox.test`;
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'free',
      billingEmail: email,
    });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'seats',
      quantity: '2',
      idempotencyKey: uniqueKey(),
    });
    const outbox = await gql(
      server.graphqlUrl,
      '{ outboxEmails(first: 100) { edges { node { recipient subject body status } } } }',
      {
        key: server.adminKey,
      },
    );
    const mine = outbox.data?.outboxEmails.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.recipient === email);
    expect(mine).toEqual([
      {
        recipient: email,
        subject: '[Billing] seats reached 50 % of its limit',
        body: expect.stringContaining('has used 2 of 3 seats of seats'),
        status: 'STORED',
      },
    ]);
    expect(
      errorCodes(
        await gql(server.graphqlUrl, '{ outboxEmails { edges { cursor } } }', {
          key: org.ownerKey,
        }),
      ),
    ).toEqual(['FORBIDDEN']);
  });
});
