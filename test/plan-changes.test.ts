import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, errorCodes, gql, sleep, wsClient } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, testClock, uniqueKey, usageOf } from './support/usage.ts';

/** Plan changes, cancellation and resumption in ledger-only mode (no STRIPE_SECRET_KEY). */
const clock = testClock('2026-03-01T00:00:00.000Z');
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ JOBS_POLL_SECONDS: '0.5' }, undefined, { now: clock.now });
});
afterAll(() => server?.stop());

/** An organization on `planKey` since March 1st 00:00 UTC; the clock then moves to the 16th, noon. */
async function tenant(
  planKey: string,
): Promise<TestOrganization & { viewer: string; ingest: string }> {
  clock.set('2026-03-01T00:00:00.000Z');
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  clock.set('2026-03-16T12:00:00.000Z');
  return {
    ...org,
    viewer: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER'),
    ingest: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST'),
  };
}

const PREVIEW = `query ($plan: String!, $timing: PlanChangeTiming) {
  previewPlanChange(planKey: $plan, timing: $timing) {
    from { key } to { key } timing effectiveAt
    proration { amount formatted } nextInvoiceTotal { amount formatted }
    lineItems { kind description amount { amount } excess rateDescription }
    warnings
  }
}`;
const CHANGE = `mutation ($plan: String!, $timing: PlanChangeTiming) {
  changePlan(planKey: $plan, timing: $timing) {
    __typename
    ... on ChangePlanSuccess { subscription { plan { key } pendingPlan { key } status } preview { proration { amount } } }
    ... on Error { message }
  }
}`;

describe('previewPlanChange', () => {
  it("prorates an upgrade Stripe's way: half the month left, $49 → $199 is −$24.50 + $99.50", async () => {
    const org = await tenant('starter');
    await record(server.graphqlUrl, org.ingest, {
      meter: 'api_requests',
      quantity: '1200000',
      idempotencyKey: uniqueKey(),
    });
    const response = await gql(server.graphqlUrl, PREVIEW, {
      key: org.viewer,
      variables: { plan: 'growth' },
    });
    const preview = response.data?.previewPlanChange;
    expect(preview).toMatchObject({
      from: { key: 'starter' },
      to: { key: 'growth' },
      timing: 'IMMEDIATELY',
      effectiveAt: '2026-03-16T12:00:00.000Z',
      proration: { amount: '7500', formatted: '$75.00' },
      warnings: [],
    });
    // This month's invoice if it ended now: Starter's base (the plan the month began on), the
    // overage under Growth's quotas (200,000 × $0.0003 = $60.00), and the two proration lines.
    expect(preview.lineItems).toEqual([
      {
        kind: 'BASE',
        description: 'Starter plan, March 2026',
        amount: { amount: '4900' },
        excess: null,
        rateDescription: null,
      },
      {
        kind: 'OVERAGE',
        description: 'api_requests: 200,000 requests over the included 1,000,000',
        amount: { amount: '6000' },
        excess: '200000',
        rateDescription: '$0.0003 per request over 1,000,000',
      },
      {
        kind: 'PRORATION',
        description: 'Unused time on Starter after 2026-03-16 12:00 UTC',
        amount: { amount: '-2450' },
        excess: null,
        rateDescription: null,
      },
      {
        kind: 'PRORATION',
        description: 'Remaining time on Growth after 2026-03-16 12:00 UTC',
        amount: { amount: '9950' },
        excess: null,
        rateDescription: null,
      },
    ]);
    expect(preview.nextInvoiceTotal).toEqual({ amount: '18400', formatted: '$184.00' });
  });

  it("warns when the new plan's HARD limits are already exceeded, and allows it", async () => {
    const org = await tenant('growth');
    await record(server.graphqlUrl, org.ingest, {
      meter: 'seats',
      quantity: '12',
      idempotencyKey: uniqueKey(),
    });
    const response = await gql(server.graphqlUrl, PREVIEW, {
      key: org.ownerKey,
      variables: { plan: 'starter', timing: 'IMMEDIATELY' },
    });
    expect(response.data?.previewPlanChange.warnings).toEqual([
      "seats: 12 used this period is over the Starter plan's HARD limit of 5; it will show EXCEEDED and further usage is refused",
    ]);
    const changed = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { plan: 'starter' },
    });
    expect(changed.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    expect(await usageOf(server.graphqlUrl, org.ownerKey, 'seats')).toMatchObject({
      used: '12',
      limit: '5',
      status: 'EXCEEDED',
      blocked: true,
    });
  });

  it('answers typed errors for an unknown plan, the same plan, and no subscription', async () => {
    const org = await tenant('starter');
    expect(
      errorCodes(
        await gql(server.graphqlUrl, PREVIEW, {
          key: org.ownerKey,
          variables: { plan: 'platinum' },
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(
        await gql(server.graphqlUrl, PREVIEW, {
          key: org.ownerKey,
          variables: { plan: 'starter' },
        }),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    const bare = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: null });
    const none = await gql(server.graphqlUrl, CHANGE, {
      key: bare.ownerKey,
      variables: { plan: 'growth' },
    });
    expect(none.data?.changePlan).toEqual({
      __typename: 'NotFoundError',
      message: 'Subscription not found',
    });
  });
});

describe('changePlan', () => {
  it('upgrades at once: new limits now, proration kept for the invoice, live banners told', async () => {
    const org = await tenant('starter');
    const client = wsClient(server.graphqlUrl, org.viewer);
    try {
      const updates = collect(
        client,
        'subscription { subscriptionUpdated { plan { key } status } }',
      );
      // graphql-ws does not acknowledge a subscribe: give it time to be listening.
      await sleep(600);
      const response = await gql(server.graphqlUrl, CHANGE, {
        key: org.ownerKey,
        variables: { plan: 'growth' },
      });
      expect(response.data?.changePlan).toEqual({
        __typename: 'ChangePlanSuccess',
        subscription: { plan: { key: 'growth' }, pendingPlan: null, status: 'ACTIVE' },
        preview: { proration: { amount: '7500' } },
      });
      await updates.waitFor(1);
      expect(updates.results[0]?.data?.subscriptionUpdated).toEqual({
        plan: { key: 'growth' },
        status: 'ACTIVE',
      });
      expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).limit).toBe(
        '1000000',
      );
    } finally {
      await client.dispose();
    }
  });

  it('fires the thresholds a lower limit newly crosses; those fired before stay fired', async () => {
    const org = await tenant('growth');
    // 800,000 of Growth's 1,000,000: 50 and 75 fire.
    await record(server.graphqlUrl, org.ingest, {
      meter: 'api_requests',
      quantity: '800000',
      idempotencyKey: uniqueKey(),
    });
    const response = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { plan: 'starter' },
    });
    expect(response.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    // Starter includes 100,000: 90 and 100 fire now, against the new limit.
    const alerts = await gql(
      server.graphqlUrl,
      '{ alerts { edges { node { threshold limit } } } }',
      { key: org.viewer },
    );
    expect(alerts.data?.alerts.edges.map((e: any) => e.node)).toEqual([
      { threshold: 100, limit: '100000' },
      { threshold: 90, limit: '100000' },
      { threshold: 75, limit: '1000000' },
      { threshold: 50, limit: '1000000' },
    ]);
  });

  it('downgrades at the end of the period: pending until the renewal, applied then', async () => {
    const org = await tenant('growth');
    const response = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { plan: 'starter', timing: 'PERIOD_END' },
    });
    expect(response.data?.changePlan).toMatchObject({
      subscription: { plan: { key: 'growth' }, pendingPlan: { key: 'starter' } },
      preview: { proration: { amount: '0' } },
    });
    clock.set('2026-04-01T00:10:00.000Z');
    await server.app.services?.jobs.send('subscription-renewal', {});
    let subscription: any;
    for (let i = 0; i < 50; i++) {
      subscription = (
        await gql(
          server.graphqlUrl,
          '{ subscription { plan { key } pendingPlan { key } currentPeriodStart currentPeriodEnd } }',
          { key: org.ownerKey },
        )
      ).data?.subscription;
      if (subscription.plan.key === 'starter') break;
      await sleep(200);
    }
    expect(subscription).toEqual({
      plan: { key: 'starter' },
      pendingPlan: null,
      currentPeriodStart: '2026-04-01T00:00:00.000Z',
      currentPeriodEnd: '2026-05-01T00:00:00.000Z',
    });
    clock.set('2026-03-16T12:00:00.000Z');
  });

  it('lets only the OWNER, or an ADMIN naming the organization, change plans', async () => {
    const org = await tenant('starter');
    const other = await tenant('starter');
    expect(
      errorCodes(
        await gql(server.graphqlUrl, CHANGE, { key: org.viewer, variables: { plan: 'growth' } }),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(
      errorCodes(
        await gql(server.graphqlUrl, CHANGE, { key: org.ingest, variables: { plan: 'growth' } }),
      ),
    ).toEqual(['FORBIDDEN']);
    const stranger = await gql(
      server.graphqlUrl,
      'mutation ($o: ID) { changePlan(planKey: "growth", organizationId: $o) { __typename } }',
      {
        key: other.ownerKey,
        variables: { o: org.id },
      },
    );
    expect(errorCodes(stranger)).toEqual(['FORBIDDEN']);
    const admin = await gql(
      server.graphqlUrl,
      'mutation ($o: ID) { changePlan(planKey: "growth", organizationId: $o) { __typename } }',
      {
        key: server.adminKey,
        variables: { o: org.id },
      },
    );
    expect(admin.data?.changePlan.__typename).toBe('ChangePlanSuccess');
  });
});

describe('cancel and resume', () => {
  const CANCEL =
    'mutation ($end: Boolean) { cancelSubscription(atPeriodEnd: $end) { __typename ... on SubscriptionSuccess { subscription { status cancelAtPeriodEnd plan { key } } } } }';
  const RESUME =
    'mutation { resumeSubscription { __typename ... on SubscriptionSuccess { subscription { cancelAtPeriodEnd } } ... on Error { message } } }';

  it('cancels at period end, resumes, and cancels at once onto the free plan', async () => {
    const org = await tenant('growth');
    const atEnd = await gql(server.graphqlUrl, CANCEL, { key: org.ownerKey, variables: {} });
    expect(atEnd.data?.cancelSubscription.subscription).toEqual({
      status: 'ACTIVE',
      cancelAtPeriodEnd: true,
      plan: { key: 'growth' },
    });
    expect(
      (await gql(server.graphqlUrl, RESUME, { key: org.ownerKey })).data?.resumeSubscription,
    ).toEqual({
      __typename: 'SubscriptionSuccess',
      subscription: { cancelAtPeriodEnd: false },
    });
    expect(
      (await gql(server.graphqlUrl, RESUME, { key: org.ownerKey })).data?.resumeSubscription,
    ).toEqual({
      __typename: 'ValidationError',
      message: 'the subscription is not set to cancel',
    });
    const now = await gql(server.graphqlUrl, CANCEL, {
      key: org.ownerKey,
      variables: { end: false },
    });
    expect(now.data?.cancelSubscription.subscription).toEqual({
      status: 'ACTIVE',
      cancelAtPeriodEnd: false,
      plan: { key: 'free' },
    });
  });
});

describe('without Stripe', () => {
  it('lets only the OWNER or an ADMIN open sessions, cancel or resume', async () => {
    const org = await tenant('starter');
    const mutations = [
      'mutation { createCheckoutSession(planKey: "growth", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { __typename } }',
      'mutation { createPortalSession(returnUrl: "https://app.example/billing") { __typename } }',
      'mutation { cancelSubscription { __typename } }',
      'mutation { resumeSubscription { __typename } }',
    ];
    for (const mutation of mutations) {
      for (const key of [org.viewer, org.ingest]) {
        expect(errorCodes(await gql(server.graphqlUrl, mutation, { key }))).toEqual(['FORBIDDEN']);
      }
    }
    const state = await gql(server.graphqlUrl, '{ subscription { cancelAtPeriodEnd status } }', {
      key: org.ownerKey,
    });
    expect(state.data?.subscription).toEqual({ cancelAtPeriodEnd: false, status: 'ACTIVE' });
  });

  it('answers checkout and portal with BillingProviderError saying Stripe is not configured', async () => {
    const org = await tenant('free');
    const checkout = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "starter", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { __typename ... on BillingProviderError { message code } } }',
      { key: org.ownerKey },
    );
    expect(checkout.data?.createCheckoutSession).toEqual({
      __typename: 'BillingProviderError',
      message: 'Stripe is not configured: set STRIPE_SECRET_KEY',
      code: 'not_configured',
    });
    const portal = await gql(
      server.graphqlUrl,
      'mutation { createPortalSession(returnUrl: "https://app.example/billing") { __typename ... on BillingProviderError { code } } }',
      {
        key: org.ownerKey,
      },
    );
    expect(portal.data?.createPortalSession).toEqual({
      __typename: 'BillingProviderError',
      code: 'not_configured',
    });
    const webhook = await fetch(`${server.url}/webhooks/stripe`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(webhook.status).toBe(404);
  });
});
