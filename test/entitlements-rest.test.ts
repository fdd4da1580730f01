import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, gql, sleep, wsClient } from './support/graphql.ts';
import { startTwoInstances, type TwoInstances } from './support/instances.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

async function rest(server: TestServer, path: string, key?: string) {
  const response = await fetch(`${server.url}${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const OVERRIDE = `mutation ($input: FeatureOverrideInput!) { setFeatureOverride(input: $input) { __typename } }`;

describe('GET /v1/check and /v1/entitlements', () => {
  let server: TestServer;
  let org: TestOrganization & { ingest: string };
  beforeAll(async () => {
    server = await startTestServer();
    const created = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    org = {
      ...created,
      ingest: await createKey(server.graphqlUrl, created.ownerKey, created.id, 'INGEST'),
    };
  });
  afterAll(() => server?.stop());

  async function graphqlCheck(feature: string) {
    const { data } = await gql(
      server.graphqlUrl,
      'query ($f: String!) { checkFeature(feature: $f) { allowed value upgradeTo { key name } reason } }',
      { key: org.ingest, variables: { f: feature } },
    );
    return { feature, ...data?.checkFeature };
  }

  it('answers as GraphQL does, features and meters, and at once after this instance’s own change', async () => {
    for (const feature of ['custom_domains', 'sso', 'priority_support']) {
      const answer = await rest(server, `/v1/check?feature=${feature}`, org.ingest);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(await graphqlCheck(feature));
    }
    expect((await rest(server, '/v1/check?feature=sso', org.ingest)).body).toMatchObject({
      allowed: false,
      upgradeTo: { key: 'growth', name: 'Growth' },
    });

    await record(server.graphqlUrl, org.ingest, {
      meter: 'seats',
      quantity: '4',
      idempotencyKey: uniqueKey(),
    });
    // starter: 5 seats, HARD. Seats are a gauge (LAST): a check asks for the new count, 5 fits
    // and 6 does not.
    const QUOTA = `query ($q: Decimal) { checkQuota(meter: "seats", quantity: $q) {
      allowed requested used limit remaining mode reason } }`;
    for (const quantity of ['5', '6']) {
      const answer = await rest(server, `/v1/check?meter=seats&quantity=${quantity}`, org.ingest);
      const { data } = await gql(server.graphqlUrl, QUOTA, {
        key: org.ingest,
        variables: { q: quantity },
      });
      expect(answer.body).toEqual({ meter: 'seats', ...data?.checkQuota });
      expect(answer.body.allowed).toBe(quantity === '5');
    }

    const before = await rest(server, '/v1/entitlements', org.ownerKey);
    expect(before.body).toMatchObject({
      organizationId: org.id,
      plan: { key: 'starter', version: 1, name: 'Starter' },
      status: 'ACTIVE',
      features: [{ feature: 'custom_domains', enabled: true, value: null, source: 'PLAN' }],
    });
    expect(before.body.meters).toContainEqual(
      expect.objectContaining({
        meter: 'seats',
        mode: 'HARD',
        limit: '5',
        used: '4',
        remaining: '1',
      }),
    );
    const granted = await gql(server.graphqlUrl, OVERRIDE, {
      key: server.adminKey,
      variables: {
        input: { organizationId: org.id, feature: 'sso', enabled: true, value: { seats: 10 } },
      },
    });
    expect(granted.data?.setFeatureOverride.__typename).toBe('FeatureOverrideSuccess');
    expect((await rest(server, '/v1/check?feature=sso', org.ingest)).body).toEqual({
      feature: 'sso',
      allowed: true,
      value: { seats: 10 },
      upgradeTo: null,
      reason: null,
    });
    const after = await rest(server, '/v1/entitlements', org.ownerKey);
    expect(after.body.features).toContainEqual(
      expect.objectContaining({ feature: 'sso', enabled: true, source: 'OVERRIDE' }),
    );
    expect(after.body.version).not.toBe(before.body.version);
  });

  it('says what is wrong: no key, an ADMIN key, no question, an unknown feature or meter', async () => {
    expect((await rest(server, '/v1/check?feature=sso')).status).toBe(401);
    expect((await rest(server, '/v1/check?feature=sso', server.adminKey)).status).toBe(403);
    expect((await rest(server, '/v1/check', org.ingest)).status).toBe(400);
    expect((await rest(server, '/v1/check?feature=sso&meter=seats', org.ingest)).status).toBe(400);
    const unknown = await rest(server, '/v1/check?feature=telepathy', org.ingest);
    expect(unknown).toEqual({ status: 404, body: { error: 'Feature "telepathy" not found' } });
    expect((await rest(server, '/v1/check?meter=nope', org.ingest)).status).toBe(400);
    expect((await rest(server, '/v1/check?meter=seats&quantity=-1', org.ingest)).status).toBe(400);
  });
});

describe('two instances with Redis', () => {
  let two: TwoInstances;
  beforeAll(async () => {
    two = await startTwoInstances({ redis: true });
  }, 60_000);
  afterAll(() => two?.stop());

  it('see one another’s changes: the check within 1 s, entitlementsUpdated within 1 s', {
    timeout: 30_000,
  }, async () => {
    const org = await createOrganization(two.a.graphqlUrl, two.a.adminKey, { planKey: 'starter' });
    // B has the organization's entitlements in memory.
    expect((await rest(two.b, '/v1/check?feature=sso', org.ownerKey)).body.allowed).toBe(false);
    const live = wsClient(two.b.graphqlUrl, org.ownerKey);
    const updates = collect(live, 'subscription { entitlementsUpdated { feature { key } } }');
    try {
      await sleep(300); // subscribed before the change
      const changedAt = Date.now();
      const changed = await gql(
        two.a.graphqlUrl,
        'mutation { changePlan(planKey: "growth") { __typename } }',
        { key: org.ownerKey },
      );
      expect(changed.data?.changePlan.__typename).toBe('ChangePlanSuccess');
      await updates.waitFor(1, 1_000);
      expect(updates.results[0]?.data?.entitlementsUpdated).toEqual([
        { feature: { key: 'custom_domains' } },
        { feature: { key: 'sso' } },
      ]);
      let allowed = false;
      while (!allowed && Date.now() - changedAt < 1_000) {
        allowed = (await rest(two.b, '/v1/check?feature=sso', org.ownerKey)).body.allowed;
        if (!allowed) await sleep(20);
      }
      expect(allowed).toBe(true);
    } finally {
      updates.stop();
      await live.dispose();
    }
  });
});

describe('a HARD limit reached on another instance', () => {
  let two: TwoInstances;
  beforeAll(async () => {
    two = await startTwoInstances({ redis: true });
  }, 60_000);
  afterAll(() => two?.stop());

  it('is refused by this instance’s check within USAGE_TOTALS_CACHE_MS (2 s by default)', {
    timeout: 30_000,
  }, async () => {
    const org = await createOrganization(two.a.graphqlUrl, two.a.adminKey, { planKey: 'free' });
    const ingest = await createKey(two.a.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    const CHECK = '/v1/check?meter=api_requests&quantity=1';
    // B has read the total (0 of free's 10,000, HARD).
    expect((await rest(two.b, CHECK, ingest)).body.allowed).toBe(true);
    const recorded = await record(two.a.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '10000',
      idempotencyKey: uniqueKey(),
    });
    expect(recorded.__typename).toBe('RecordUsageSuccess');
    const reachedAt = Date.now();
    let allowed = true;
    while (allowed && Date.now() - reachedAt < 5_000) {
      allowed = (await rest(two.b, CHECK, ingest)).body.allowed;
      if (allowed) await sleep(50);
    }
    expect(allowed).toBe(false);
    // The bound, plus a request's time.
    expect(Date.now() - reachedAt).toBeLessThan(2_000 + 1_000);
  });
});

describe('an override that lapses by itself', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ JOBS_POLL_SECONDS: '0.5' });
  });
  afterAll(() => server?.stop());

  it('is announced when it lapses, and no longer counts in the check', {
    timeout: 30_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const live = wsClient(server.graphqlUrl, org.ownerKey);
    const updates = collect(live, 'subscription { entitlementsUpdated { feature { key } } }');
    try {
      await sleep(300);
      const expiresAt = new Date(Date.now() + 2_000).toISOString();
      const granted = await gql(server.graphqlUrl, OVERRIDE, {
        key: server.adminKey,
        variables: { input: { organizationId: org.id, feature: 'sso', enabled: true, expiresAt } },
      });
      expect(granted.data?.setFeatureOverride.__typename).toBe('FeatureOverrideSuccess');
      expect((await rest(server, '/v1/check?feature=sso', org.ownerKey)).body.allowed).toBe(true);
      await updates.waitFor(2, 10_000);
      const keys = (n: number) =>
        updates.results[n]?.data?.entitlementsUpdated.map(
          (e: { feature: { key: string } }) => e.feature.key,
        );
      expect(keys(0)).toEqual(['custom_domains', 'sso']);
      expect(keys(1)).toEqual(['custom_domains']);
      expect((await rest(server, '/v1/check?feature=sso', org.ownerKey)).body.allowed).toBe(false);
    } finally {
      updates.stop();
      await live.dispose();
    }
  });
});
