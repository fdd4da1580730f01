import type { StripeFake } from '@graphql-billing/stripe-fake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import type { TestServer } from './support/server.ts';
import { startStripeServer } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/** A migration of subscribers as Stripe carries it out: each subscription on the new price. */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, stop: stopServer } = await startStripeServer());
});
afterAll(() => stopServer?.());

const admin = (query: string, variables?: Record<string, unknown>) =>
  gql(server.graphqlUrl, query, { key: server.adminKey, ...(variables ? { variables } : {}) });

const SUBSCRIPTION =
  '{ subscription { plan { version } pendingPlan { version } stripeSubscriptionId } }';

async function provisioned(): Promise<{ org: TestOrganization; stripeId: string }> {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
  const subscription = await waitFor('provisioning', async () => {
    const s = (await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey })).data
      ?.subscription;
    return s?.stripeSubscriptionId ? s : undefined;
  });
  await fake.webhooks.flush();
  return { org, stripeId: subscription.stripeSubscriptionId as string };
}

const MIGRATE = `mutation ($timing: PlanChangeTiming) {
  migratePlanSubscribers(planKey: "growth", fromVersion: 1, toVersion: 2, timing: $timing) {
    __typename
    ... on MigratePlanSubscribersSuccess { migrated notMigrated { reason } }
    ... on Error { message }
  }
}`;

/** Growth version 2: $249 a month instead of $199, the same limits. */
const GROWTH_V2 = {
  key: 'growth',
  name: 'Growth',
  prices: [{ interval: 'MONTH', amount: '24900' }],
  trialDays: 14,
  quotas: [
    { meter: 'api_requests', included: '1000000', mode: 'OVERAGE', overageUnitPrice: '0.0003' },
    { meter: 'storage_gb', included: '100', mode: 'OVERAGE', overageUnitPrice: '0.10' },
    { meter: 'bandwidth_gb', included: '250', mode: 'OVERAGE', overageUnitPrice: '0.05' },
    { meter: 'seats', included: '20', mode: 'HARD' },
  ],
  entitlements: [{ feature: 'custom_domains' }, { feature: 'sso' }],
};

describe('migrating Stripe subscribers of growth v1 to v2', () => {
  it('schedules them in Stripe, then moves them at once, on one new price whatever the retries', {
    timeout: 60_000,
  }, async () => {
    const subscribers = [await provisioned(), await provisioned()];
    const published = await admin(
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename } }',
      { input: GROWTH_V2 },
    );
    expect(published.data?.publishPlan.__typename).toBe('PublishPlanSuccess');

    // Stripe makes the price and its answer is lost: stripe-node retries with the same key.
    fake.loseNext({ method: 'POST', path: /^\/v1\/prices$/ });
    const scheduled = await admin(MIGRATE, { timing: 'PERIOD_END' });
    expect(scheduled.data?.migratePlanSubscribers).toEqual({
      __typename: 'MigratePlanSubscribersSuccess',
      migrated: 2,
      notMigrated: [],
    });
    const v2Prices = () =>
      [...fake.state.prices.values()].filter((p) => p.lookup_key === 'growth_v2_month');
    const creations = fake.requests.filter(
      (r) =>
        r.method === 'POST' && r.path === '/v1/prices' && r.params.lookup_key === 'growth_v2_month',
    );
    expect(creations.map((r) => r.fault ?? r.status)).toEqual(['lose', 200]);
    expect(new Set(creations.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(v2Prices()).toHaveLength(1);
    expect(v2Prices()[0]?.unit_amount).toBe(24900);
    for (const { org, stripeId } of subscribers) {
      // Still billed growth v1 until the renewal; a schedule holds v2 for the next phase.
      const stripeSubscription = fake.state.subscriptions.get(stripeId);
      expect(stripeSubscription?.items.data[0]?.price.lookup_key).toBe('growth_v1_month');
      const schedule = fake.state.subscriptionSchedules.get(stripeSubscription?.schedule as string);
      expect(schedule?.phases.at(-1)?.items[0]?.price).toBe(v2Prices()[0]?.id);
      const ours = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
      expect(ours.data?.subscription).toMatchObject({
        plan: { version: 1 },
        pendingPlan: { version: 2 },
      });
    }

    const now = await admin(MIGRATE, { timing: 'IMMEDIATELY' });
    expect(now.data?.migratePlanSubscribers).toMatchObject({ migrated: 2 });
    await fake.webhooks.flush();
    for (const { org, stripeId } of subscribers) {
      expect(fake.state.subscriptions.get(stripeId)?.items.data[0]?.price.lookup_key).toBe(
        'growth_v2_month',
      );
      const ours = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
      expect(ours.data?.subscription).toMatchObject({ plan: { version: 2 }, pendingPlan: null });
    }
    const rerun = await admin(MIGRATE, { timing: 'IMMEDIATELY' });
    expect(rerun.data?.migratePlanSubscribers).toMatchObject({ migrated: 0 });
    expect(v2Prices()).toHaveLength(1);
  });
});
