import { type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { stripeEnv } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/**
 * Plan changes, cancellations and sign-ups as Stripe carries them out: what Stripe ends up
 * billing is what the server answered, however the operations follow each other.
 */
let fake: StripeFake;
let server: TestServer;

beforeAll(async () => {
  fake = await startStripeFake();
  server = await startTestServer(stripeEnv(fake), undefined, {
    now: () => new Date(fake.now() * 1000),
  });
  fake.setWebhookUrl(`${server.url}/webhooks/stripe`);
});
afterAll(async () => {
  await server?.stop();
  await fake?.stop();
});

const SUBSCRIPTION =
  '{ subscription { status plan { key } pendingPlan { key } cancelAtPeriodEnd stripeSubscriptionId } }';

async function subscriptionOf(key: string) {
  return (await gql(server.graphqlUrl, SUBSCRIPTION, { key })).data?.subscription;
}

/** An ADMIN-made organization on `planKey` whose Stripe subscription exists, webhooks in. */
async function provisioned(planKey: string) {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  const subscription = await waitFor('provisioning', async () => {
    const s = await subscriptionOf(org.ownerKey);
    return s?.stripeSubscriptionId ? s : undefined;
  });
  await fake.webhooks.flush();
  return { org, stripeId: subscription.stripeSubscriptionId as string };
}

async function changePlan(key: string, planKey: string, timing: 'IMMEDIATELY' | 'PERIOD_END') {
  const response = await gql(
    server.graphqlUrl,
    'mutation ($p: String!, $t: PlanChangeTiming!) { changePlan(planKey: $p, timing: $t) { __typename ... on Error { message } } }',
    { key, variables: { p: planKey, t: timing } },
  );
  return response.data?.changePlan.__typename;
}

/** The lookup key of the price Stripe bills the subscription now. */
const stripePriceOf = (stripeId: string) =>
  fake.state.subscriptions.get(stripeId)?.items.data[0]?.price.lookup_key;

/** What Stripe billed at the last renewal: the cycle invoice's total, in cents. */
function renewalTotal(stripeId: string) {
  const latest = fake.state.subscriptions.get(stripeId)?.latest_invoice as string;
  const invoice = fake.state.invoices.get(latest);
  expect(invoice?.billing_reason).toBe('subscription_cycle');
  return invoice?.total;
}

describe('operations repeated within a day', () => {
  it('carries out the same end-of-period downgrade a second time after an upgrade', {
    timeout: 60_000,
  }, async () => {
    const { org, stripeId } = await provisioned('growth');
    expect(await changePlan(org.ownerKey, 'starter', 'PERIOD_END')).toBe('ChangePlanSuccess');
    expect(await changePlan(org.ownerKey, 'scale', 'IMMEDIATELY')).toBe('ChangePlanSuccess');
    expect(await changePlan(org.ownerKey, 'starter', 'PERIOD_END')).toBe('ChangePlanSuccess');
    await fake.webhooks.flush();
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      plan: { key: 'scale' },
      pendingPlan: { key: 'starter' },
    });

    await fake.advanceToPeriodEnd(stripeId);
    await fake.webhooks.flush();
    expect(stripePriceOf(stripeId)).toBe('starter_v1');
    expect(renewalTotal(stripeId)).toBe(4900); // starter: $49.00 for the new month
    await waitFor('the downgrade at renewal', async () => {
      const s = await subscriptionOf(org.ownerKey);
      return s.plan.key === 'starter' && s.pendingPlan === null ? s : undefined;
    });
  });

  it('cancels again after a cancel and a resume in the same second', async () => {
    const { org, stripeId } = await provisioned('starter');
    for (const mutation of ['cancelSubscription', 'resumeSubscription', 'cancelSubscription']) {
      const answer = await gql(server.graphqlUrl, `mutation { ${mutation} { __typename } }`, {
        key: org.ownerKey,
      });
      expect(answer.errors).toBeUndefined();
    }
    expect(fake.state.subscriptions.get(stripeId)?.cancel_at_period_end).toBe(true);
    await fake.webhooks.flush();
    expect((await subscriptionOf(org.ownerKey)).cancelAtPeriodEnd).toBe(true);
  });
});
