import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from './support/fixtures.ts';
import { errorCodes, gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** Bad input gets a clear error and changes nothing. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_BODY_BYTES: String(64 * 1024) });
});
afterAll(() => server?.stop());

const CREATE = `mutation ($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    __typename
    ... on ValidationError { message fieldErrors { path message } }
  }
}`;

async function organizationNames(): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = await gql(
      server.graphqlUrl,
      'query ($after: String) { organizations(first: 100, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }',
      { key: server.adminKey, variables: { after } },
    );
    names.push(...page.data.organizations.edges.map((e: any) => e.node.name));
    if (!page.data.organizations.pageInfo.hasNextPage) return names;
    after = page.data.organizations.pageInfo.endCursor;
  }
}

async function post(body: string, headers: Record<string, string> = {}) {
  return fetch(server.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${server.adminKey}`,
      ...headers,
    },
    body,
  });
}

describe('malformed requests', () => {
  it('answers a GraphQL syntax error with 400 and a message pointing at it', async () => {
    const name = `syntax-${Date.now()}`;
    const response = await post(
      JSON.stringify({
        query: `mutation { createOrganization(input: { name: "${name}" } { __typename } }`,
      }),
    );
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors[0].message).toMatch(/Syntax Error/);
    expect(await organizationNames()).not.toContain(name);
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await post('{"query": "{ plans { key } }"');
    expect(response.status).toBe(400);
  });

  it('refuses variables of the wrong type before running anything', async () => {
    const response = await gql(server.graphqlUrl, CREATE, {
      key: server.adminKey,
      variables: { input: { name: 42, planKey: ['starter'] } },
    });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/Variable "\$input" got invalid value/);
  });

  it('refuses an unknown field with a message naming it', async () => {
    const response = await gql(server.graphqlUrl, '{ plans { key price } }');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/Cannot query field "price" on type "Plan"/);
  });
});

describe('typed validation errors', () => {
  it('returns a ValidationError with field paths and writes nothing', async () => {
    const name = `invalid-email-${Date.now()}`;
    const response = await gql(server.graphqlUrl, CREATE, {
      key: server.adminKey,
      variables: { input: { name, billingEmail: 'not-an-email' } },
    });
    expect(response.data?.createOrganization).toEqual({
      __typename: 'ValidationError',
      message: expect.stringContaining('billingEmail'),
      fieldErrors: [{ path: ['input', 'billingEmail'], message: 'must be an e-mail address' }],
    });
    expect(await organizationNames()).not.toContain(name);
  });

  it('refuses a blank name and an unknown plan, and writes nothing', async () => {
    const blank = await gql(server.graphqlUrl, CREATE, {
      key: server.adminKey,
      variables: { input: { name: '   ' } },
    });
    expect(blank.data?.createOrganization.fieldErrors).toEqual([
      { path: ['input', 'name'], message: 'must not be empty' },
    ]);

    const name = `unknown-plan-${Date.now()}`;
    const unknownPlan = await gql(server.graphqlUrl, CREATE, {
      key: server.adminKey,
      variables: { input: { name, planKey: 'platinum' } },
    });
    expect(unknownPlan.data?.createOrganization.fieldErrors).toEqual([
      { path: ['input', 'planKey'], message: 'no plan "platinum" is on sale; see the plans query' },
    ]);
    expect(await organizationNames()).not.toContain(name);
  });

  it('answers createApiKey for an unknown organization with NotFoundError', async () => {
    const response = await gql(
      server.graphqlUrl,
      'mutation { createApiKey(organizationId: "org_nope", role: VIEWER) { __typename ... on NotFoundError { message } } }',
      { key: server.adminKey },
    );
    expect(response.data?.createApiKey).toEqual({
      __typename: 'NotFoundError',
      message: 'Organization not found',
    });
  });

  it('refuses an ADMIN key through createApiKey with a ValidationError', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey);
    const response = await gql(
      server.graphqlUrl,
      'mutation ($org: ID!) { createApiKey(organizationId: $org, role: ADMIN) { __typename ... on ValidationError { fieldErrors { path } } } }',
      { key: server.adminKey, variables: { org: org.id } },
    );
    expect(response.data?.createApiKey).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['role'] }],
    });
  });

  it('bounds page sizes and checks cursors', async () => {
    for (const first of [0, -1, 101]) {
      const response = await gql(
        server.graphqlUrl,
        `{ organizations(first: ${first}) { edges { cursor } } }`,
        {
          key: server.adminKey,
        },
      );
      expect(errorCodes(response), `first: ${first}`).toEqual(['BAD_USER_INPUT']);
    }
    const badCursor = await gql(
      server.graphqlUrl,
      '{ organizations(after: "garbage") { edges { cursor } } }',
      {
        key: server.adminKey,
      },
    );
    expect(badCursor.errors?.[0]?.extensions?.fieldErrors).toEqual([
      { path: ['after'], message: 'is not a cursor returned by this API' },
    ]);
  });
});

describe('hostile queries', () => {
  it('refuses a query deeper than the limit', async () => {
    // plans > quotas > meter is depth 3; nest organizations deeper than 12 through viewer loops.
    let selection = 'id';
    for (let i = 0; i < 14; i++)
      selection = `organization { subscription { plan { key } } id }`.replace('id', selection);
    const response = await gql(server.graphqlUrl, `{ viewer { ${selection} } }`, {
      key: server.adminKey,
    });
    expect(response.status).toBe(400);
    expect(response.errors?.map((e) => e.message).join(' ')).toMatch(
      /Query depth limit of 12 exceeded/,
    );
  });

  it('refuses a query costlier than the limit', async () => {
    const fields = Array.from(
      { length: 30 },
      (_, i) =>
        `q${i}: quotas { meter { key name unit aggregation } included mode overageUnitPrice }`,
    ).join(' ');
    const response = await gql(server.graphqlUrl, `{ plans { ${fields} } }`);
    expect(response.status).toBe(400);
    expect(response.errors?.map((e) => e.message).join(' ')).toMatch(/cost|aliases/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: meters { key }`).join(' ');
    const response = await gql(server.graphqlUrl, `{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(response.errors?.map((e) => e.message).join(' ')).toMatch(/aliases/i);
  });

  it('refuses a document with too many tokens', async () => {
    const response = await gql(server.graphqlUrl, `{ plans { ${'key '.repeat(3000)} } }`);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.message).toMatch(/token/i);
  });

  it('answers an oversized body with 413 before reading it, and writes nothing', async () => {
    const name = `huge-${Date.now()}`;
    const body = JSON.stringify({
      query: CREATE,
      variables: { input: { name, billingEmail: `${'x'.repeat(70 * 1024)}@example.test` } },
    });
    const response = await post(body);
    expect(response.status).toBe(413);
    expect(await organizationNames()).not.toContain(name);
  });
});
