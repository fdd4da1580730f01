import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { errorCodes, gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey, usageOf } from './support/usage.ts';

/** Tenant isolation: one organization's keys can neither record into nor read another's usage. */
let server: TestServer;
let a: TestOrganization & { ingest: string };
let b: TestOrganization & { ingest: string };

beforeAll(async () => {
  server = await startTestServer();
  const orgA = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  const orgB = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  a = { ...orgA, ingest: await createKey(server.graphqlUrl, orgA.ownerKey, orgA.id, 'INGEST') };
  b = { ...orgB, ingest: await createKey(server.graphqlUrl, orgB.ownerKey, orgB.id, 'INGEST') };
  await record(server.graphqlUrl, b.ingest, {
    meter: 'api_requests',
    quantity: '777',
    idempotencyKey: uniqueKey(),
  });
});
afterAll(() => server?.stop());

describe('tenant isolation', () => {
  it("records an INGEST key's usage into its own organization only", async () => {
    await record(server.graphqlUrl, a.ingest, {
      meter: 'api_requests',
      quantity: '5',
      idempotencyKey: uniqueKey(),
    });
    expect((await usageOf(server.graphqlUrl, a.ownerKey, 'api_requests')).used).toBe('5');
    expect((await usageOf(server.graphqlUrl, b.ownerKey, 'api_requests')).used).toBe('777');
  });

  it('keeps idempotency keys per organization: the same key in two organizations counts in each', async () => {
    const shared = uniqueKey('shared');
    const inA = await record(server.graphqlUrl, a.ingest, {
      meter: 'bandwidth_gb',
      quantity: '1',
      idempotencyKey: shared,
    });
    const inB = await record(server.graphqlUrl, b.ingest, {
      meter: 'bandwidth_gb',
      quantity: '2',
      idempotencyKey: shared,
    });
    expect([inA.duplicate, inB.duplicate]).toEqual([false, false]);
    expect(inB.event.quantity).toBe('2');
  });

  it("never shows another organization's usage, and refuses reading it through organization(id)", async () => {
    const mine = await gql(
      server.graphqlUrl,
      '{ usage { used } checkQuota(meter: "api_requests") { used } }',
      { key: a.ingest },
    );
    expect(JSON.stringify(mine.data)).not.toContain('777');
    const theirs = await gql(
      server.graphqlUrl,
      'query ($id: ID!) { organization(id: $id) { usage { used } } }',
      {
        key: a.ownerKey,
        variables: { id: b.id },
      },
    );
    expect(errorCodes(theirs)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(theirs)).not.toContain('777');
  });

  it("records REST usage into the key's own organization only", async () => {
    const response = await fetch(`${server.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.ingest}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ meter: 'storage_gb', quantity: '3', idempotencyKey: uniqueKey() }]),
    });
    expect(response.status).toBe(200);
    expect((await usageOf(server.graphqlUrl, a.ownerKey, 'storage_gb')).used).toBe('3');
    expect((await usageOf(server.graphqlUrl, b.ownerKey, 'storage_gb')).used).toBe('0');
  });

  it("lets an ADMIN read any organization's usage", async () => {
    const response = await gql(
      server.graphqlUrl,
      'query ($id: ID!) { organization(id: $id) { usage(meter: "api_requests") { used } } }',
      { key: server.adminKey, variables: { id: b.id } },
    );
    expect(response.data).toEqual({ organization: { usage: [{ used: '777' }] } });
  });
});
