import type { StripeFake } from '@graphql-billing/stripe-fake';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import type { TestServer } from './support/server.ts';
import { startStripeServer } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/**
 * Plan changes, cancellations and sign-ups as Stripe carries them out: what Stripe ends up
 * billing is what the server answered, however the operations follow each other.
 */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, stop: stopServer } = await startStripeServer());
});
afterAll(() => stopServer?.());

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

/** Moves Stripe to the renewal and waits until the server has taken the new period from it. */
async function renewed(key: string, stripeId: string) {
  await fake.advanceToPeriodEnd(stripeId);
  await fake.webhooks.flush();
  const start = fake.state.subscriptions.get(stripeId)?.items.data[0]?.current_period_start ?? 0;
  await waitFor('the renewal applied', async () => {
    const period = (
      await gql(server.graphqlUrl, '{ subscription { currentPeriodStart } }', { key })
    ).data?.subscription.currentPeriodStart;
    return Date.parse(period) === start * 1000 || undefined;
  });
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
    expect(stripePriceOf(stripeId)).toBe('starter_v1_month');
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

describe('cancelling at once when Stripe’s answer is lost', () => {
  it('takes the retry’s "No such subscription" for the cancellation it is', async () => {
    const { org, stripeId } = await provisioned('starter');
    // Stripe cancels, the answer never arrives; stripe-node retries the DELETE, which Stripe
    // answers 404 for a canceled subscription (keys do nothing on DELETE).
    fake.loseNext({ method: 'DELETE', path: /^\/v1\/subscriptions\// });
    const answer = await gql(
      server.graphqlUrl,
      'mutation { cancelSubscription(atPeriodEnd: false) { __typename ... on SubscriptionSuccess { subscription { status plan { key } } } ... on Error { message } } }',
      { key: org.ownerKey },
    );
    expect(answer.data?.cancelSubscription).toEqual({
      __typename: 'SubscriptionSuccess',
      // Ended in Stripe; the organization goes on, on the free plan.
      subscription: { status: 'ACTIVE', plan: { key: 'free' } },
    });
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('canceled');
    const deletes = fake.requests.filter(
      (r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${stripeId}`,
    );
    expect(deletes.map((r) => r.status)).toEqual([500, 404]);
  });
});

describe('one organization, one Stripe subscription', () => {
  /** Stripe as the Dashboard (or a stray integration) uses it, beside the server. */
  const dashboard = () =>
    new Stripe('sk_test_dashboard', { ...fake.clientOptions, maxNetworkRetries: 0 });

  /** A subscription made in Stripe for the organization's customer, not by the server. */
  async function subscribeInStripe(stripeId: string, organizationId: string, lookupKey: string) {
    const known = fake.state.subscriptions.get(stripeId);
    const price = [...fake.state.prices.values()].find((p) => p.lookup_key === lookupKey);
    return dashboard().subscriptions.create({
      customer: known?.customer as string,
      items: [{ price: price?.id as string }],
      metadata: { organization_id: organizationId },
    });
  }

  it('refuses Checkout for an organization that is subscribed, pointing to changePlan', async () => {
    const { org } = await provisioned('starter');
    const sessionsBefore = fake.state.checkoutSessions.size;
    const answer = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "growth", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { __typename ... on ValidationError { message fieldErrors { path message } } } }',
      { key: org.ownerKey },
    );
    expect(answer.data?.createCheckoutSession).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [
        {
          path: ['planKey'],
          message:
            'the organization has a live subscription already; use changePlan to move it to another plan',
        },
      ],
    });
    expect(fake.state.checkoutSessions.size).toBe(sessionsBefore);
  });

  it('cancels a second live Stripe subscription of one customer and shows it to ADMIN', {
    timeout: 30_000,
  }, async () => {
    const { org, stripeId } = await provisioned('starter');
    const second = await subscribeInStripe(stripeId, org.id, 'scale_v1_month');
    await fake.webhooks.flush();
    await waitFor('the duplicate canceled', async () =>
      fake.state.subscriptions.get(second.id)?.status === 'canceled' ? true : undefined,
    );
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('active');
    await fake.webhooks.flush();
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'starter' },
      stripeSubscriptionId: stripeId,
    });
    const listed = await gql(
      server.graphqlUrl,
      '{ duplicateStripeSubscriptions { stripeSubscriptionId organizationId keptStripeSubscriptionId canceledAt cancelError } }',
      { key: server.adminKey },
    );
    const entry = listed.data?.duplicateStripeSubscriptions.find(
      (d: { stripeSubscriptionId: string }) => d.stripeSubscriptionId === second.id,
    );
    expect(entry).toMatchObject({
      organizationId: org.id,
      keptStripeSubscriptionId: stripeId,
      cancelError: null,
    });
    expect(entry.canceledAt).not.toBeNull();
    const refused = await gql(
      server.graphqlUrl,
      '{ duplicateStripeSubscriptions { organizationId } }',
      {
        key: org.ownerKey,
      },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('takes a new subscription for the one it knew when that one has ended unheard', {
    timeout: 30_000,
  }, async () => {
    const { org, stripeId } = await provisioned('starter');
    // The cancellation's webhooks are lost: the server still believes in the old subscription.
    fake.setWebhookUrl(null);
    await dashboard().subscriptions.cancel(stripeId);
    fake.setWebhookUrl(`${server.url}/webhooks/stripe`);
    const next = await subscribeInStripe(stripeId, org.id, 'growth_v1_month');
    await fake.webhooks.flush();
    const replaced = await waitFor('the new subscription', async () => {
      const s = await subscriptionOf(org.ownerKey);
      return s.stripeSubscriptionId === next.id ? s : undefined;
    });
    expect(replaced).toMatchObject({ status: 'ACTIVE', plan: { key: 'growth' } });
    expect(fake.state.subscriptions.get(next.id)?.status).toBe('active');
  });
});

describe('a plan change while provisioning runs', () => {
  it('waits for provisioning: one Stripe subscription, on the new plan, the change billed by Stripe', {
    timeout: 30_000,
  }, async () => {
    // The job's creation of the subscription is refused once and retried a little later.
    fake.failNext({
      method: 'POST',
      path: /^\/v1\/subscriptions$/,
      status: 429,
      retryAfterSeconds: 2,
    });
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
    const attempt = (r: (typeof fake.requests)[number]) =>
      r.method === 'POST' && r.path === '/v1/subscriptions' && r.status === 429;
    await waitFor('the job under way', async () =>
      fake.requests.some(attempt) ? true : undefined,
    );

    expect(await changePlan(org.ownerKey, 'scale', 'IMMEDIATELY')).toBe('ChangePlanSuccess');
    await fake.webhooks.flush();
    const subscription = await waitFor('provisioning done', async () => {
      const ofOrg = [...fake.state.subscriptions.values()].filter(
        (s) => s.metadata.organization_id === org.id,
      );
      return ofOrg.length > 0 && fake.requests.filter(attempt).length === 1 ? ofOrg : undefined;
    });
    // Give the job's retry its time (2 s), then look at what both sides say.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await fake.webhooks.flush();
    const ofOrg = [...fake.state.subscriptions.values()].filter(
      (s) => s.metadata.organization_id === org.id,
    );
    expect(ofOrg).toHaveLength(1);
    const stripeId = subscription[0]?.id as string;
    expect(stripePriceOf(stripeId)).toBe('scale_v1_month');
    const billed = [...fake.state.invoices.values()].filter(
      (i) => i.parent?.subscription_details?.subscription === stripeId,
    );
    expect(billed.map((i) => i.billing_reason).sort()).toEqual([
      'subscription_create',
      'subscription_update',
    ]);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      plan: { key: 'scale' },
      stripeSubscriptionId: stripeId,
    });
  });
});

describe('what an immediate change is previewed at is what Stripe bills', () => {
  /** previewPlanChange's proration, then changePlan, then Stripe's invoice of the change. */
  async function previewedAndBilled(key: string, stripeId: string, planKey: string) {
    const preview = await gql(
      server.graphqlUrl,
      `{ previewPlanChange(planKey: "${planKey}") { proration { amount } } }`,
      { key },
    );
    expect(await changePlan(key, planKey, 'IMMEDIATELY')).toBe('ChangePlanSuccess');
    const latest = fake.state.subscriptions.get(stripeId)?.latest_invoice as string;
    const invoice = fake.state.invoices.get(latest);
    expect(invoice?.billing_reason).toBe('subscription_update');
    return { previewed: preview.data?.previewPlanChange.proration.amount, billed: invoice?.total };
  }

  it('in the first, partial month and in a whole month', { timeout: 30_000 }, async () => {
    const { org, stripeId } = await provisioned('starter');
    await fake.advanceTime(3 * 86_400 + 777);
    const partial = await previewedAndBilled(org.ownerKey, stripeId, 'growth');
    expect(BigInt(partial.previewed)).toBeGreaterThan(0n);
    expect(String(partial.billed)).toBe(partial.previewed);

    await renewed(org.ownerKey, stripeId);
    await fake.advanceTime(9 * 86_400 + 4_321);
    const whole = await previewedAndBilled(org.ownerKey, stripeId, 'scale');
    expect(BigInt(whole.previewed)).toBeGreaterThan(0n);
    expect(String(whole.billed)).toBe(whole.previewed);
  });

  it('after a downgrade scheduled for the end of the period', { timeout: 30_000 }, async () => {
    const { org, stripeId } = await provisioned('growth');
    await renewed(org.ownerKey, stripeId); // a whole month from here
    expect(await changePlan(org.ownerKey, 'starter', 'PERIOD_END')).toBe('ChangePlanSuccess');
    await fake.advanceTime(10 * 86_400);
    const { previewed, billed } = await previewedAndBilled(org.ownerKey, stripeId, 'scale');
    expect(String(billed)).toBe(previewed);
    await fake.webhooks.flush();
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      plan: { key: 'scale' },
      pendingPlan: null,
    });
  });
});
