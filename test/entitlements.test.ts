import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, errorCodes, gql, wsClient } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { testClock, uniqueKey } from './support/usage.ts';

/**
 * Entitlements of the default catalog: starter grants custom_domains; growth custom_domains and
 * sso; scale those and priority_support. Overrides are per organization, so the shared database
 * serves.
 */
const clock = testClock('2026-05-01T00:00:00.000Z');
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, undefined, { now: clock.now });
});
afterAll(() => server?.stop());

const ENTITLEMENTS = '{ entitlements { feature { key } enabled value source expiresAt } }';
const CHECK = `query ($feature: String!) { checkFeature(feature: $feature) {
  feature { key } allowed value upgradeTo { key } reason
} }`;
const OVERRIDE = `mutation ($input: FeatureOverrideInput!) { setFeatureOverride(input: $input) {
  __typename
  ... on FeatureOverrideSuccess { entitlements { feature { key } enabled value source expiresAt } }
  ... on Error { message }
} }`;

const check = async (key: string, feature: string) =>
  (await gql(server.graphqlUrl, CHECK, { key, variables: { feature } })).data?.checkFeature;

describe('entitlements', () => {
  let starter: TestOrganization & { viewer: string; ingest: string };
  beforeAll(async () => {
    clock.set('2026-05-01T00:00:00.000Z');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    starter = {
      ...org,
      viewer: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER'),
      ingest: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST'),
    };
  });

  it("are the plan's grants, checked by every role, with the cheapest plan that has the rest", async () => {
    for (const key of [starter.ownerKey, starter.viewer, starter.ingest]) {
      const { data } = await gql(server.graphqlUrl, ENTITLEMENTS, { key });
      expect(data?.entitlements).toEqual([
        {
          feature: { key: 'custom_domains' },
          enabled: true,
          value: null,
          source: 'PLAN',
          expiresAt: null,
        },
      ]);
    }
    expect(await check(starter.ingest, 'custom_domains')).toEqual({
      feature: { key: 'custom_domains' },
      allowed: true,
      value: null,
      upgradeTo: null,
      reason: null,
    });
    expect(await check(starter.ownerKey, 'sso')).toEqual({
      feature: { key: 'sso' },
      allowed: false,
      value: null,
      upgradeTo: { key: 'growth' },
      reason:
        "Single sign-on (SSO) is not in this organization's plan; the Growth plan includes it",
    });
    expect((await check(starter.ownerKey, 'priority_support')).upgradeTo).toEqual({
      key: 'scale',
    });
    const unknown = await gql(server.graphqlUrl, CHECK, {
      key: starter.ownerKey,
      variables: { feature: 'telepathy' },
    });
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    const paths = await gql(
      server.graphqlUrl,
      '{ sso: cheapestPlanWith(feature: "sso") { key } none: cheapestPlanWith(feature: "telepathy") { key } }',
    );
    expect(paths.data).toEqual({ sso: { key: 'growth' }, none: null });
  });

  it('are changed by an ADMIN override until it lapses, live', async () => {
    clock.set('2026-05-10T00:00:00.000Z');
    const live = wsClient(server.graphqlUrl, starter.ownerKey);
    const updates = collect(
      live,
      'subscription { entitlementsUpdated { feature { key } enabled source } }',
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // subscribed before the change
      // A month of SSO for 25 seats, and custom domains withdrawn for good.
      const granted = await gql(server.graphqlUrl, OVERRIDE, {
        key: server.adminKey,
        variables: {
          input: {
            organizationId: starter.id,
            feature: 'sso',
            enabled: true,
            value: { seats: 25 },
            expiresAt: '2026-06-10T00:00:00.000Z',
          },
        },
      });
      expect(granted.data?.setFeatureOverride.entitlements).toEqual([
        {
          feature: { key: 'custom_domains' },
          enabled: true,
          value: null,
          source: 'PLAN',
          expiresAt: null,
        },
        {
          feature: { key: 'sso' },
          enabled: true,
          value: { seats: 25 },
          source: 'OVERRIDE',
          expiresAt: '2026-06-10T00:00:00.000Z',
        },
      ]);
      await updates.waitFor(1);
      expect(updates.results[0]?.data?.entitlementsUpdated).toContainEqual({
        feature: { key: 'sso' },
        enabled: true,
        source: 'OVERRIDE',
      });
    } finally {
      updates.stop();
      await live.dispose();
    }
    expect(await check(starter.viewer, 'sso')).toMatchObject({
      allowed: true,
      value: { seats: 25 },
    });

    const withdrawn = await gql(server.graphqlUrl, OVERRIDE, {
      key: server.adminKey,
      variables: {
        input: { organizationId: starter.id, feature: 'custom_domains', enabled: false },
      },
    });
    expect(withdrawn.data?.setFeatureOverride.__typename).toBe('FeatureOverrideSuccess');
    expect(await check(starter.ownerKey, 'custom_domains')).toEqual({
      feature: { key: 'custom_domains' },
      allowed: false,
      value: null,
      upgradeTo: null,
      reason: 'Custom domains is turned off for this organization',
    });

    // A month later the SSO grant has lapsed: the plan's word again, and the way to get it.
    clock.set('2026-06-10T00:00:00.001Z');
    expect(await check(starter.ownerKey, 'sso')).toMatchObject({
      allowed: false,
      upgradeTo: { key: 'growth' },
    });
    const after = await gql(server.graphqlUrl, ENTITLEMENTS, { key: starter.ownerKey });
    expect(
      after.data?.entitlements.map((e: { feature: { key: string } }) => e.feature.key),
    ).toEqual(['custom_domains']);
  });

  it('are overridden by ADMIN only, for an organization and a feature that exist, in the future', async () => {
    clock.set('2026-06-15T00:00:00.000Z');
    const input = { organizationId: starter.id, feature: 'sso', enabled: true };
    for (const key of [starter.ownerKey, starter.ingest]) {
      const refused = await gql(server.graphqlUrl, OVERRIDE, { key, variables: { input } });
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    }
    const cases: [Record<string, unknown>, string][] = [
      [{ ...input, organizationId: 'org_nope' }, 'NotFoundError'],
      [{ ...input, feature: 'telepathy' }, 'NotFoundError'],
      [{ ...input, expiresAt: '2026-06-01T00:00:00.000Z' }, 'ValidationError'],
    ];
    for (const [bad, typename] of cases) {
      const answer = await gql(server.graphqlUrl, OVERRIDE, {
        key: server.adminKey,
        variables: { input: bad },
      });
      expect(answer.data?.setFeatureOverride.__typename).toBe(typename);
    }
    expect((await check(starter.ownerKey, 'sso')).allowed).toBe(false);
  });

  it('follow a plan change, and name the plan that would have taken refused usage', async () => {
    clock.set('2026-06-15T00:00:00.000Z');
    const free = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const ingest = await createKey(server.graphqlUrl, free.ownerKey, free.id, 'INGEST');
    // free: 10,000 requests, HARD. 10,001 is refused; starter takes it (OVERAGE past 100,000).
    const refused = await gql(
      server.graphqlUrl,
      `mutation ($input: RecordUsageInput!) { recordUsage(input: $input) {
        __typename ... on QuotaExceededError { upgradeTo { key } } } }`,
      {
        key: ingest,
        variables: {
          input: { meter: 'api_requests', quantity: '10001', idempotencyKey: uniqueKey() },
        },
      },
    );
    expect(refused.data?.recordUsage).toEqual({
      __typename: 'QuotaExceededError',
      upgradeTo: { key: 'starter' },
    });
    const changed = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "growth") { __typename } }',
      { key: free.ownerKey },
    );
    expect(changed.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    expect(await check(free.ownerKey, 'sso')).toMatchObject({ allowed: true, upgradeTo: null });
    const asAdmin = await gql(
      server.graphqlUrl,
      'query ($id: ID!) { organization(id: $id) { entitlements { feature { key } } } }',
      { key: server.adminKey, variables: { id: free.id } },
    );
    expect(asAdmin.data?.organization.entitlements).toEqual([
      { feature: { key: 'custom_domains' } },
      { feature: { key: 'sso' } },
    ]);
  });
});
