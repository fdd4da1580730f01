import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, testClock, uniqueKey } from './support/usage.ts';

/** Plans in yen beside the default catalog in dollars, ledger-only. */
const clock = testClock('2026-05-01T00:00:00.000Z');
// Publishing changes the global catalog: this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage, { now: clock.now });
  for (const input of [
    {
      key: 'jp_free',
      name: 'Free (JP)',
      currency: 'JPY',
      prices: [{ interval: 'MONTH', amount: '0' }],
      quotas: [{ meter: 'api_requests', included: '1000', mode: 'HARD' }],
    },
    {
      // ¥5,000 a month (yen have no minor unit: 5000 is ¥5,000), ¥0.5 a request past 100,000.
      key: 'jp_pro',
      name: 'Pro (JP)',
      currency: 'JPY',
      prices: [{ interval: 'MONTH', amount: '5000' }],
      quotas: [
        { meter: 'api_requests', included: '100000', mode: 'OVERAGE', overageUnitPrice: '0.5' },
      ],
    },
  ]) {
    const published = await gql(
      server.graphqlUrl,
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename } }',
      { key: server.adminKey, variables: { input } },
    );
    expect(published.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
  }
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

describe('an organization paying in yen', () => {
  it('is invoiced in whole yen, stays in yen, and falls back to the free plan in yen', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'jp_pro',
    });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '101001',
      idempotencyKey: uniqueKey(),
    });
    const invoice = await gql(
      server.graphqlUrl,
      '{ upcomingInvoice { currency lineItems { kind amount { amount formatted } rateDescription } total { amount currency formatted } } }',
      { key: org.ownerKey },
    );
    // ¥5,000 base; 1,001 requests over × ¥0.5 = ¥500.5, rounded half away from zero: ¥501.
    expect(invoice.data?.upcomingInvoice).toEqual({
      currency: 'jpy',
      lineItems: [
        { kind: 'BASE', amount: { amount: '5000', formatted: '¥5,000' }, rateDescription: null },
        {
          kind: 'OVERAGE',
          amount: { amount: '501', formatted: '¥501' },
          rateDescription: '¥0.5 per request over 100,000',
        },
      ],
      total: { amount: '5501', currency: 'jpy', formatted: '¥5,501' },
    });

    const toDollars = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "starter") { __typename ... on ValidationError { message } } }',
      { key: org.ownerKey },
    );
    expect(toDollars.data?.changePlan).toEqual({
      __typename: 'ValidationError',
      message:
        'planKey: the Starter plan is sold in USD, and this organization pays in JPY (fixed by its first subscription): choose a plan sold in JPY',
    });

    const canceled = await gql(
      server.graphqlUrl,
      'mutation { cancelSubscription(atPeriodEnd: false) { ... on SubscriptionSuccess { subscription { status plan { key basePrice { currency } } } } } }',
      { key: org.ownerKey },
    );
    expect(canceled.data?.cancelSubscription.subscription).toEqual({
      status: 'ACTIVE',
      plan: { key: 'jp_free', basePrice: { currency: 'jpy' } },
    });
  });

  it('lists plans by currency, or those of one currency', async () => {
    const keys = async (query: string) =>
      (await gql(server.graphqlUrl, query)).data?.plans.map((p: { key: string }) => p.key);
    expect(await keys('{ plans { key } }')).toEqual([
      'jp_free',
      'jp_pro',
      'free',
      'starter',
      'growth',
      'scale',
    ]);
    expect(await keys('{ plans(currency: "JPY") { key } }')).toEqual(['jp_free', 'jp_pro']);
  });

  it('leaves a dollar organization in dollars: the yen plans are refused', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const toYen = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "jp_pro") { __typename ... on ValidationError { fieldErrors { path } } } }',
      { key: org.ownerKey },
    );
    expect(toYen.data?.changePlan).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['planKey'] }],
    });
  });

  it('grants a canceled organization only what the free plan of its currency does: none in euros', async () => {
    const published = await gql(
      server.graphqlUrl,
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename } }',
      {
        key: server.adminKey,
        variables: {
          input: {
            key: 'eu_team',
            name: 'Team (EU)',
            currency: 'EUR',
            prices: [{ interval: 'MONTH', amount: '2900' }],
            quotas: [],
            entitlements: [{ feature: 'custom_domains' }],
          },
        },
      },
    );
    expect(published.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'eu_team',
    });
    const GRANTS =
      '{ entitlements { feature { key } } checkFeature(feature: "custom_domains") { allowed upgradeTo { key } } }';
    expect((await gql(server.graphqlUrl, GRANTS, { key: org.ownerKey })).data).toEqual({
      entitlements: [{ feature: { key: 'custom_domains' } }],
      checkFeature: { allowed: true, upgradeTo: null },
    });
    // No free plan is sold in euros: canceled at once, the subscription ends.
    const canceled = await gql(
      server.graphqlUrl,
      'mutation { cancelSubscription(atPeriodEnd: false) { ... on SubscriptionSuccess { subscription { status } } } }',
      { key: org.ownerKey },
    );
    expect(canceled.data?.cancelSubscription.subscription.status).toBe('CANCELED');
    expect((await gql(server.graphqlUrl, GRANTS, { key: org.ownerKey })).data).toEqual({
      entitlements: [],
      checkFeature: { allowed: false, upgradeTo: { key: 'eu_team' } },
    });
  });
});
