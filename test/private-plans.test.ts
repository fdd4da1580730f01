import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

// Publishing changes the global catalog: this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage);
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

const admin = (query: string, variables?: Record<string, unknown>) =>
  gql(server.graphqlUrl, query, { key: server.adminKey, ...(variables ? { variables } : {}) });

/** Acme's deal: $2,500 a month, 50,000,000 requests then $0.0001, 200 seats. */
const ACME = {
  key: 'acme_enterprise',
  name: 'Acme Enterprise',
  private: true,
  prices: [{ interval: 'MONTH', amount: '250000' }],
  quotas: [
    { meter: 'api_requests', included: '50000000', mode: 'OVERAGE', overageUnitPrice: '0.0001' },
    { meter: 'seats', included: '200', mode: 'HARD' },
  ],
};

const CHANGE = `mutation ($plan: String!, $org: ID) {
  changePlan(planKey: $plan, organizationId: $org) {
    __typename ... on ChangePlanSuccess { subscription { plan { key } } } ... on Error { message }
  }
}`;

describe('a private plan (an enterprise deal)', () => {
  it('is listed to nobody, found by ADMIN only, and sold by ADMIN only', async () => {
    const published = await admin(
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { ... on PublishPlanSuccess { changed plan { key private } } } }',
      { input: ACME },
    );
    expect(published.data?.publishPlan).toEqual({
      changed: true,
      plan: { key: 'acme_enterprise', private: true },
    });

    const keys = (response: { data?: Record<string, any> | null }) =>
      response.data?.plans.map((plan: { key: string }) => plan.key);
    const listedPublicly = await gql(server.graphqlUrl, '{ plans(includeArchived: true) { key } }');
    const listedToAdmin = await admin('{ plans(includeArchived: true) { key } }');
    expect(keys(listedPublicly)).toEqual(['free', 'starter', 'growth', 'scale']);
    expect(keys(listedToAdmin)).toEqual(['free', 'starter', 'growth', 'scale']);

    const lookup = '{ plan(key: "acme_enterprise") { key basePrice { formatted } } }';
    expect((await gql(server.graphqlUrl, lookup)).data?.plan).toBeNull();
    expect((await admin(lookup)).data?.plan).toEqual({
      key: 'acme_enterprise',
      basePrice: { formatted: '$2,500.00' },
    });

    // An owner cannot move to it; it does not exist for them.
    const other = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'growth',
    });
    const refused = await gql(server.graphqlUrl, CHANGE, {
      key: other.ownerKey,
      variables: { plan: 'acme_enterprise' },
    });
    expect(refused.data?.changePlan).toEqual({
      __typename: 'NotFoundError',
      message: 'Plan not found',
    });

    // ADMIN signs Acme up on it; Acme sees its own plan and is billed by it.
    const acme = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'acme_enterprise',
    });
    const ingest = await createKey(server.graphqlUrl, acme.ownerKey, acme.id, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '50000001',
      idempotencyKey: uniqueKey(),
    });
    const own = await gql(
      server.graphqlUrl,
      '{ subscription { plan { key private } } checkQuota(meter: "seats", quantity: "201") { allowed } }',
      { key: acme.ownerKey },
    );
    expect(own.data).toEqual({
      subscription: { plan: { key: 'acme_enterprise', private: true } },
      checkQuota: { allowed: false },
    });

    // ADMIN may move another organization onto it.
    const moved = await admin(CHANGE, { plan: 'acme_enterprise', org: other.id });
    expect(moved.data?.changePlan).toEqual({
      __typename: 'ChangePlanSuccess',
      subscription: { plan: { key: 'acme_enterprise' } },
    });
  });

  it('becomes public when published again without private, with no new version', async () => {
    const published = await admin(
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { ... on PublishPlanSuccess { changed plan { version private } } } }',
      { input: { ...ACME, private: false } },
    );
    expect(published.data?.publishPlan).toEqual({
      changed: true,
      plan: { version: 1, private: false },
    });
    const listed = await gql(server.graphqlUrl, '{ plan(key: "acme_enterprise") { key } }');
    expect(listed.data?.plan).toEqual({ key: 'acme_enterprise' });
  });
});
