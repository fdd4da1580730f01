import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** Values the database cannot take, where no typed error covers them: BAD_USER_INPUT, no change. */
let server: TestServer;
let org: TestOrganization;

beforeAll(async () => {
  server = await startTestServer();
  org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
});
afterAll(() => server?.stop());

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
];

describe.each(cases)('%s', (_label, query, variables, as) => {
  it('answers BAD_USER_INPUT, never "Unexpected error.", and changes nothing', async () => {
    const before = await organizationCount();
    const response = await gql(server.graphqlUrl, query, {
      key: as === 'owner' ? org.ownerKey : server.adminKey,
      variables,
    });
    expect(response.errors?.[0]?.message).not.toBe('Unexpected error.');
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await organizationCount()).toBe(before);
  });
});
