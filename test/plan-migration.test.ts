import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, errorCodes, gql, wsClient } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, testClock, uniqueKey } from './support/usage.ts';

/** Moving the subscribers of one plan version to another, ledger-only (no STRIPE_SECRET_KEY). */
const clock = testClock('2026-03-01T00:00:00.000Z');
// Publishing a version changes the global catalog: this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage, { now: clock.now });
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

const admin = (query: string, variables?: Record<string, unknown>) =>
  gql(server.graphqlUrl, query, { key: server.adminKey, ...(variables ? { variables } : {}) });

const PREVIEW = `query ($key: String!, $from: Int!, $to: Int!) {
  previewPlanMigration(planKey: $key, fromVersion: $from, toVersion: $to) {
    planKey fromVersion toVersion basedOnPeriod organizations
    currentTotal { amount } newTotal { amount }
    rows { organization { id } currentTotal { amount } newTotal { amount } delta { amount formatted } warnings }
  }
}`;

const MIGRATE = `mutation ($key: String!, $from: Int!, $to: Int!, $timing: PlanChangeTiming) {
  migratePlanSubscribers(planKey: $key, fromVersion: $from, toVersion: $to, timing: $timing) {
    __typename
    ... on MigratePlanSubscribersSuccess { migrated notMigrated { organization { id } reason } }
    ... on ValidationError { message fieldErrors { path } }
    ... on NotFoundError { message }
  }
}`;

const SUBSCRIPTION = `{ subscription { plan { key version } pendingPlan { key version } } }`;

/** Starter version 2: $59 instead of $49, 120,000 requests at $0.0004 over, 4 seats instead of 5. */
const STARTER_V2 = {
  key: 'starter',
  name: 'Starter',
  prices: [{ interval: 'MONTH', amount: '5900' }],
  trialDays: 14,
  quotas: [
    { meter: 'api_requests', included: '120000', mode: 'OVERAGE', overageUnitPrice: '0.0004' },
    { meter: 'storage_gb', included: '10', mode: 'OVERAGE', overageUnitPrice: '0.12' },
    { meter: 'bandwidth_gb', included: '25', mode: 'OVERAGE', overageUnitPrice: '0.08' },
    { meter: 'seats', included: '4', mode: 'HARD' },
  ],
  entitlements: [{ feature: 'custom_domains' }],
};

type Tenant = TestOrganization & { ingest: string };
async function tenant(planKey: string): Promise<Tenant> {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  return { ...org, ingest: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST') };
}

describe('migrating the subscribers of starter v1 to v2', () => {
  let heavy: Tenant;
  let seated: Tenant;
  let late: Tenant;
  let other: Tenant;
  let downgrading: Tenant;

  beforeAll(async () => {
    clock.set('2026-03-01T00:00:00.000Z');
    heavy = await tenant('starter');
    seated = await tenant('starter');
    other = await tenant('growth');
    clock.set('2026-03-20T00:00:00.000Z');
    for (const [org, meter, quantity] of [
      [heavy, 'api_requests', '150000'],
      [seated, 'api_requests', '80000'],
      [seated, 'seats', '5'],
      [other, 'api_requests', '150000'],
    ] as const) {
      await record(server.graphqlUrl, org.ingest, { meter, quantity, idempotencyKey: uniqueKey() });
    }
    clock.set('2026-04-05T00:00:00.000Z');
    late = await tenant('starter');
    downgrading = await tenant('starter');
    const downgrade = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "free", timing: PERIOD_END) { __typename } }',
      { key: downgrading.ownerKey },
    );
    expect(downgrade.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    const published = await admin(
      `mutation ($input: PlanInput!) { publishPlan(input: $input) { ... on PublishPlanSuccess { changed plan { version } } } }`,
      { input: STARTER_V2 },
    );
    expect(published.data?.publishPlan).toEqual({ changed: true, plan: { version: 2 } });
    clock.set('2026-04-10T00:00:00.000Z');
  });

  it('previews March on both versions, per subscriber, with the HARD limits it would exceed', async () => {
    const response = await admin(PREVIEW, { key: 'starter', from: 1, to: 2 });
    expect(response.errors).toBeUndefined();
    const preview = response.data?.previewPlanMigration;
    expect(preview).toMatchObject({
      planKey: 'starter',
      fromVersion: 1,
      toVersion: 2,
      basedOnPeriod: '2026-03',
      organizations: 4,
      // 7,400 + 4,900 + 4,900 + 4,900 and 7,100 + 5,900 + 5,900 + 5,900 (the rows below).
      currentTotal: { amount: '22100' },
      newTotal: { amount: '24800' },
    });
    const rowOf = (org: Tenant) =>
      preview.rows.find((row: { organization: { id: string } }) => row.organization.id === org.id);
    // 150,000 requests. v1: $49 + 50,000 × $0.0005 = $49 + $25 = $74.00.
    // v2: $59 + 30,000 × $0.0004 = $59 + $12 = $71.00: $3.00 less.
    expect(rowOf(heavy)).toEqual({
      organization: { id: heavy.id },
      currentTotal: { amount: '7400' },
      newTotal: { amount: '7100' },
      delta: { amount: '-300', formatted: '-$3.00' },
      warnings: [],
    });
    // 80,000 requests are included in both; 5 seats are over v2's HARD limit of 4.
    expect(rowOf(seated)).toEqual({
      organization: { id: seated.id },
      currentTotal: { amount: '4900' },
      newTotal: { amount: '5900' },
      delta: { amount: '1000', formatted: '$10.00' },
      warnings: [
        "seats: 5 used in 2026-03 is over the Starter plan's HARD limit of 4; it will show EXCEEDED and further usage is refused",
      ],
    });
    // Subscribed in April: no March to price, so the two monthly base prices.
    for (const org of [late, downgrading]) {
      expect(rowOf(org)).toEqual({
        organization: { id: org.id },
        currentTotal: { amount: '4900' },
        newTotal: { amount: '5900' },
        delta: { amount: '1000', formatted: '$10.00' },
        warnings: ['no usage in 2026-03 to price: the totals are base prices'],
      });
    }
    // The growth subscriber is not part of it, and nothing changed.
    expect(rowOf(other)).toBeUndefined();
    const unchanged = await gql(server.graphqlUrl, SUBSCRIPTION, { key: heavy.ownerKey });
    expect(unchanged.data?.subscription).toEqual({
      plan: { key: 'starter', version: 1 },
      pendingPlan: null,
    });
  });

  it('refuses the same version, an unknown version and any key but ADMIN', async () => {
    const same = await admin(MIGRATE, { key: 'starter', from: 1, to: 1 });
    expect(same.data?.migratePlanSubscribers).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['toVersion'] }],
    });
    const unknown = await admin(MIGRATE, { key: 'starter', from: 1, to: 9 });
    expect(unknown.data?.migratePlanSubscribers).toEqual({
      __typename: 'NotFoundError',
      message: 'Plan "starter" version 9 not found',
    });
    const preview = await admin(PREVIEW, { key: 'starter', from: 1, to: 9 });
    expect(errorCodes(preview)).toEqual(['NOT_FOUND']);
    for (const query of [PREVIEW, MIGRATE]) {
      const asOwner = await gql(server.graphqlUrl, query, {
        key: heavy.ownerKey,
        variables: { key: 'starter', from: 1, to: 2 },
      });
      expect(errorCodes(asOwner)).toEqual(['FORBIDDEN']);
    }
    const still = await gql(server.graphqlUrl, SUBSCRIPTION, { key: heavy.ownerKey });
    expect(still.data?.subscription.pendingPlan).toBeNull();
  });

  it('schedules every subscriber for its period end once, leaving a scheduled downgrade alone', async () => {
    const live = wsClient(server.graphqlUrl, heavy.ownerKey);
    const updates = collect(
      live,
      'subscription { subscriptionUpdated { pendingPlan { version } } }',
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // subscribed before the move
      const first = await admin(MIGRATE, { key: 'starter', from: 1, to: 2 });
      expect(first.data?.migratePlanSubscribers).toEqual({
        __typename: 'MigratePlanSubscribersSuccess',
        migrated: 3,
        notMigrated: [
          {
            organization: { id: downgrading.id },
            reason: 'has another plan change scheduled for the end of its period',
          },
        ],
      });
      await updates.waitFor(1);
      expect(updates.results[0]?.data).toEqual({
        subscriptionUpdated: { pendingPlan: { version: 2 } },
      });
    } finally {
      updates.stop();
      await live.dispose();
    }
    for (const org of [heavy, seated, late]) {
      const after = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
      expect(after.data?.subscription).toEqual({
        plan: { key: 'starter', version: 1 },
        pendingPlan: { key: 'starter', version: 2 },
      });
    }
    const kept = await gql(server.graphqlUrl, SUBSCRIPTION, { key: downgrading.ownerKey });
    expect(kept.data?.subscription.pendingPlan).toEqual({ key: 'free', version: 1 });

    // Run again: nobody is scheduled twice.
    const again = await admin(MIGRATE, { key: 'starter', from: 1, to: 2 });
    expect(again.data?.migratePlanSubscribers).toMatchObject({ migrated: 0 });
  });

  it('moves them at once with the usual proration when asked, and a rerun moves none', async () => {
    const now = await admin(MIGRATE, { key: 'starter', from: 1, to: 2, timing: 'IMMEDIATELY' });
    expect(now.data?.migratePlanSubscribers).toMatchObject({
      migrated: 3,
      notMigrated: [{ organization: { id: downgrading.id } }],
    });
    const after = await gql(
      server.graphqlUrl,
      `{ subscription { plan { version } pendingPlan { version } }
         upcomingInvoice { lineItems { kind amount { amount } } } }`,
      { key: heavy.ownerKey },
    );
    expect(after.data?.subscription).toEqual({ plan: { version: 2 }, pendingPlan: null });
    // April 10th 00:00 UTC, 21 of April's 30 days left: −$49 × 21/30 = −$34.30 for v1,
    // +$59 × 21/30 = +$41.30 for v2.
    const prorations = after.data?.upcomingInvoice.lineItems
      .filter((line: { kind: string }) => line.kind === 'PRORATION')
      .map((line: { amount: { amount: string } }) => line.amount.amount);
    expect(prorations).toEqual(['-3430', '4130']);

    const rerun = await admin(MIGRATE, { key: 'starter', from: 1, to: 2, timing: 'IMMEDIATELY' });
    expect(rerun.data?.migratePlanSubscribers).toMatchObject({ migrated: 0 });
    const once = await gql(server.graphqlUrl, '{ upcomingInvoice { lineItems { kind } } }', {
      key: heavy.ownerKey,
    });
    expect(
      once.data?.upcomingInvoice.lineItems.filter((l: { kind: string }) => l.kind === 'PRORATION'),
    ).toHaveLength(2);
  });
});
