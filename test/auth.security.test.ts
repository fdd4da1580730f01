import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { errorCodes, gql, wsClient, wsExecute } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/**
 * Every operation of the foundation × every kind of caller: allowed, or the right error code;
 * and no response to a caller of one organization carries another organization's data.
 */
type Caller = 'none' | 'bad' | 'ADMIN' | 'OWNER' | 'VIEWER' | 'INGEST' | 'otherOwner';
type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN';
const CALLERS: Caller[] = ['none', 'bad', 'ADMIN', 'OWNER', 'VIEWER', 'INGEST', 'otherOwner'];

let server: TestServer;
let orgA: TestOrganization;
let orgB: TestOrganization;
const keys = {} as Record<Caller, string | undefined>;

beforeAll(async () => {
  server = await startTestServer();
  orgA = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  orgB = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
  keys.none = undefined;
  keys.bad = 'bsk_thisKeyDoesNotExistAnywhere00000000000000';
  keys.ADMIN = server.adminKey;
  keys.OWNER = orgA.ownerKey;
  keys.VIEWER = await createKey(server.graphqlUrl, orgA.ownerKey, orgA.id, 'VIEWER');
  keys.INGEST = await createKey(server.graphqlUrl, orgA.ownerKey, orgA.id, 'INGEST');
  keys.otherOwner = orgB.ownerKey;
});
afterAll(() => server?.stop());

interface Operation {
  name: string;
  query: string;
  variables?: () => Record<string, unknown>;
  expect: Record<Caller, Outcome>;
}

const publicOperation = {
  none: 'ok',
  bad: 'UNAUTHENTICATED',
  ADMIN: 'ok',
  OWNER: 'ok',
  VIEWER: 'ok',
  INGEST: 'ok',
  otherOwner: 'ok',
} as const;
const adminOnly = {
  none: 'UNAUTHENTICATED',
  bad: 'UNAUTHENTICATED',
  ADMIN: 'ok',
  OWNER: 'FORBIDDEN',
  VIEWER: 'FORBIDDEN',
  INGEST: 'FORBIDDEN',
  otherOwner: 'FORBIDDEN',
} as const;

const operations: Operation[] = [
  {
    name: 'viewer',
    query: '{ viewer { role organization { id name } } }',
    expect: { ...publicOperation, none: 'UNAUTHENTICATED' },
  },
  { name: 'plans', query: '{ plans { key } }', expect: publicOperation },
  { name: 'plan', query: '{ plan(key: "growth") { key } }', expect: publicOperation },
  { name: 'meters', query: '{ meters { key } }', expect: publicOperation },
  {
    name: 'subscription',
    query: '{ subscription { id status plan { key } } }',
    expect: { ...adminOnly, ADMIN: 'FORBIDDEN', OWNER: 'ok', VIEWER: 'ok', otherOwner: 'ok' },
  },
  {
    name: 'organization',
    query:
      'query ($id: ID!) { organization(id: $id) { id name billingEmail subscription { status } } }',
    variables: () => ({ id: orgA.id }),
    expect: adminOnly,
  },
  {
    name: 'organizations',
    query: '{ organizations(first: 100) { edges { node { id name } } } }',
    expect: adminOnly,
  },
  {
    name: 'createOrganization',
    query: `mutation ($name: String!) { createOrganization(input: { name: $name }) {
      __typename ... on CreateOrganizationSuccess { organization { id } } } }`,
    variables: () => ({ name: `matrix-${Math.random()}` }),
    expect: adminOnly,
  },
  {
    name: 'createApiKey',
    query: `mutation ($org: ID!) { createApiKey(organizationId: $org, role: VIEWER) {
      __typename ... on CreateApiKeySuccess { apiKey { id role } } } }`,
    variables: () => ({ org: orgA.id }),
    expect: { ...adminOnly, OWNER: 'ok' },
  },
];

function outcomeOf(response: {
  data?: unknown;
  errors?: { extensions?: Record<string, unknown> }[];
}): Outcome | string {
  const [code] = errorCodes(response);
  if (code) return String(code);
  return response.data ? 'ok' : 'no data';
}

/** What a caller must never see: the other organization's id and name. */
function foreignSecrets(caller: Caller): string[] {
  if (caller === 'otherOwner') return [orgA.id, orgA.name];
  if (caller === 'ADMIN') return [];
  return [orgB.id, orgB.name];
}

describe.each(operations)('$name over HTTP', (operation) => {
  it.each(CALLERS)('as %s', async (caller) => {
    const response = await gql(server.graphqlUrl, operation.query, {
      key: keys[caller],
      variables: operation.variables?.(),
    });
    expect(outcomeOf(response)).toBe(operation.expect[caller]);
    if (operation.expect[caller] === 'UNAUTHENTICATED') expect(response.status).toBe(401);
    const body = JSON.stringify(response);
    for (const secret of foreignSecrets(caller)) expect(body).not.toContain(secret);
  });
});

describe.each(operations)('$name over graphql-ws', (operation) => {
  it.each(CALLERS)('as %s', async (caller) => {
    const client = wsClient(server.graphqlUrl, keys[caller]);
    try {
      const outcome = await wsExecute(client, operation.query, operation.variables?.());
      if (caller === 'none' || caller === 'bad') {
        // No valid key: the socket is refused at connection_init, whatever the operation.
        expect(outcome.closed?.code).toBe(4401);
        return;
      }
      expect(outcome.result && outcomeOf(outcome.result)).toBe(operation.expect[caller]);
      const body = JSON.stringify(outcome);
      for (const secret of foreignSecrets(caller)) expect(body).not.toContain(secret);
    } finally {
      await client.dispose();
    }
  });
});

describe('what each caller sees of itself', () => {
  it('gives an organization key its own organization and subscription', async () => {
    const response = await gql(
      server.graphqlUrl,
      '{ viewer { role organization { id name subscription { status plan { key } } } } }',
      { key: keys.VIEWER },
    );
    expect(response.data?.viewer).toEqual({
      role: 'VIEWER',
      organization: {
        id: orgA.id,
        name: orgA.name,
        subscription: { status: 'ACTIVE', plan: { key: 'starter' } },
      },
    });
  });

  it('keeps the billing e-mail and subscription from an INGEST key', async () => {
    const response = await gql(
      server.graphqlUrl,
      '{ viewer { organization { billingEmail subscription { status } } } }',
      { key: keys.INGEST },
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });

  it('lets an OWNER make keys only for its own organization', async () => {
    const response = await gql(
      server.graphqlUrl,
      `mutation ($org: ID!) { createApiKey(organizationId: $org, role: OWNER) { __typename } }`,
      { key: keys.OWNER, variables: { org: orgB.id } },
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  });

  it("refuses a refused caller's mutation without writing anything", async () => {
    const name = `must-not-exist-${Date.now()}`;
    for (const caller of ['none', 'OWNER', 'VIEWER', 'INGEST'] as const) {
      await gql(
        server.graphqlUrl,
        'mutation ($n: String!) { createOrganization(input: { name: $n }) { __typename } }',
        {
          key: keys[caller],
          variables: { n: name },
        },
      );
    }
    const all = await gql(
      server.graphqlUrl,
      '{ organizations(first: 100) { edges { node { name } } } }',
      {
        key: server.adminKey,
      },
    );
    expect(JSON.stringify(all.data)).not.toContain(name);
  });
});
