import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** Values the database cannot take, where no typed error covers them: BAD_USER_INPUT, no change. */
// "No change" is counted over all organizations: a database of its own, so that other test
// files creating theirs at the same time do not count.
let storage: ScratchDatabase;
let server: TestServer;
let org: TestOrganization;

beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage);
  org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

async function organizationCount(): Promise<number> {
  const response = await gql(
    server.graphqlUrl,
    '{ organizations(first: 100) { edges { node { id } } } }',
    {
      key: server.adminKey,
    },
  );
  return response.data?.organizations.edges.length;
}

const NUL = '\u0000';
const cursor = (text: string) => Buffer.from(`c1:${text}`, 'utf8').toString('base64url');

const cases: [string, string, Record<string, unknown>, 'owner' | 'admin'][] = [
  [
    'a NUL in an invoice id',
    'query ($id: ID!) { invoice(id: $id) { id } }',
    { id: `inv_${NUL}` },
    'owner',
  ],
  [
    'a NUL in an organization name',
    'mutation ($name: String!) { createOrganization(input: { name: $name }) { __typename } }',
    { name: `Acme${NUL}` },
    'admin',
  ],
  [
    'a NUL in an organization id',
    'query ($id: ID!) { organization(id: $id) { id } }',
    { id: `org_${NUL}` },
    'admin',
  ],
  [
    'a forged invoice cursor dated in the year 0000',
    'query ($after: String) { invoices(first: 5, after: $after) { edges { cursor } } }',
    { after: cursor('0000-01-01T00:00:00.000Z~inv_x') },
    'owner',
  ],
  [
    'a forged cursor holding a NUL',
    'query ($after: String) { alerts(first: 5, after: $after) { edges { cursor } } }',
    { after: cursor(`thr_${NUL}`) },
    'owner',
  ],
  [
    'usage history from the year 0000',
    'query { usageHistory(meter: "api_requests", from: "0000-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z", granularity: DAY) { quantity } }',
    {},
    'owner',
  ],
  [
    'a webhook URL on port 99999',
    'mutation { createWebhookEndpoint(url: "https://hooks.example.com:99999/x") { __typename } }',
    {},
    'owner',
  ],
];

describe.each(cases)('%s', (_label, query, variables, as) => {
  it('answers a typed error or BAD_USER_INPUT, never "Unexpected error.", and changes nothing', async () => {
    const before = await organizationCount();
    const response = await gql(server.graphqlUrl, query, {
      key: as === 'owner' ? org.ownerKey : server.adminKey,
      variables,
    });
    // A typed ValidationError where the field has a result union, BAD_USER_INPUT elsewhere.
    const typed = Object.values(response.data ?? {})[0] as { __typename?: string } | null;
    if (typed?.__typename) expect(typed.__typename).toBe('ValidationError');
    else expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).not.toBe('Unexpected error.');
    expect(await organizationCount()).toBe(before);
  });
});

describe('list literals nested 2,000 and 5,000 deep', () => {
  it.each([2000, 5000])('%i deep: a 400 that says why, not a stack overflow', async (depth) => {
    const value = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const response = await gql(server.graphqlUrl, `{ plan(key: ${value}) { key } }`, {
      key: org.ownerKey,
    });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toBe(
      'Syntax Error: the document is nested more than 64 levels deep',
    );
  });

  it('leaves strings and comments alone', async () => {
    const response = await gql(
      server.graphqlUrl,
      `# ${'['.repeat(100)}\n{ plan(key: "${'['.repeat(100)}") { key } }`,
      { key: org.ownerKey },
    );
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ plan: null });
  });
});
