import { type StripeFake, signatureHeader, startStripeFake } from '@graphql-billing/stripe-fake';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/raw.ts';
import { createPostgresDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { collect, gql, sleep, wsClient } from './support/graphql.ts';
import { spawnServer } from './support/process.ts';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from './support/server.ts';
import { startStripeServer, stripeEnv } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/** The billing server against the local Stripe fake, over real HTTP both ways. */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, stop: stopServer } = await startStripeServer());
});
afterAll(() => stopServer?.());

const SUBSCRIPTION =
  '{ subscription { status plan { key } pendingPlan { key } trialEnd cancelAtPeriodEnd stripeSubscriptionId currentPeriodEnd } }';

async function subscriptionOf(key: string) {
  return (await gql(server.graphqlUrl, SUBSCRIPTION, { key })).data?.subscription;
}

async function until(key: string, what: string, test: (s: any) => boolean) {
  await fake.webhooks.flush();
  return waitFor(what, async () => {
    const s = await subscriptionOf(key);
    return s && test(s) ? s : undefined;
  });
}

describe('the subscription lifecycle', () => {
  it('checkout → trial → upgrade with proration → downgrade at renewal → cancel/resume → past due → paid → three failures → free', {
    timeout: 120_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: null,
      billingEmail: 'pay@lifecycle.test',
    });
    const viewer = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');

    // Self-serve sign-up through Checkout, with the plan's 14-day trial.
    const checkout = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "starter", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { __typename ... on CheckoutSessionSuccess { session { id url } } ... on Error { message } } }',
      { key: org.ownerKey },
    );
    const session = checkout.data?.createCheckoutSession.session;
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/checkout\/cs_test_/);
    await fake.completeCheckoutSession(session.id);
    const trialing = await until(org.ownerKey, 'the trial', (s) => s.status === 'TRIALING');
    expect(trialing.plan.key).toBe('starter');
    expect(Date.parse(trialing.trialEnd) - fake.now() * 1000).toBeGreaterThan(13.9 * 86_400_000);
    const stripeId: string = trialing.stripeSubscriptionId;
    const customerId = fake.state.subscriptions.get(stripeId)?.customer as string;

    // The trial ends: the first paid period starts.
    await fake.advanceToPeriodEnd(stripeId);
    await until(org.ownerKey, 'the end of the trial', (s) => s.status === 'ACTIVE');

    // Upgrade at once: our preview's proration is what Stripe charges.
    await fake.advanceTime(5 * 86_400 + 3_333);
    const preview = await gql(
      server.graphqlUrl,
      '{ previewPlanChange(planKey: "growth") { proration { amount } } }',
      { key: org.ownerKey },
    );
    const expected = preview.data?.previewPlanChange.proration.amount;
    expect(BigInt(expected)).toBeGreaterThan(0n);
    const upgrade = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "growth") { __typename ... on ChangePlanSuccess { preview { proration { amount } } } } }',
      {
        key: org.ownerKey,
      },
    );
    expect(upgrade.data?.changePlan).toEqual({
      __typename: 'ChangePlanSuccess',
      preview: { proration: { amount: expected } },
    });
    const prorationInvoice = fake.state.invoices.get(
      fake.state.subscriptions.get(stripeId)?.latest_invoice as string,
    );
    expect(prorationInvoice?.billing_reason).toBe('subscription_update');
    expect(prorationInvoice?.total).toBe(Number(expected));
    expect(prorationInvoice?.status).toBe('paid');
    await until(org.ownerKey, 'growth', (s) => s.plan.key === 'growth');

    // Downgrade at the end of the period: pending until the renewal.
    const downgrade = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "starter", timing: PERIOD_END) { __typename ... on ChangePlanSuccess { subscription { plan { key } pendingPlan { key } } } } }',
      {
        key: org.ownerKey,
      },
    );
    expect(downgrade.data?.changePlan.subscription).toEqual({
      plan: { key: 'growth' },
      pendingPlan: { key: 'starter' },
    });
    await fake.webhooks.flush();
    await sleep(500);
    expect((await subscriptionOf(org.ownerKey)).plan.key).toBe('growth');
    await fake.advanceToPeriodEnd(stripeId);
    await until(
      org.ownerKey,
      'the downgrade at renewal',
      (s) => s.plan.key === 'starter' && s.pendingPlan === null,
    );

    // Cancel at period end, then resume.
    await gql(server.graphqlUrl, 'mutation { cancelSubscription { __typename } }', {
      key: org.ownerKey,
    });
    expect(fake.state.subscriptions.get(stripeId)?.cancel_at_period_end).toBe(true);
    await until(org.ownerKey, 'the cancellation', (s) => s.cancelAtPeriodEnd === true);
    await gql(server.graphqlUrl, 'mutation { resumeSubscription { __typename } }', {
      key: org.ownerKey,
    });
    expect(fake.state.subscriptions.get(stripeId)?.cancel_at_period_end).toBe(false);
    await until(org.ownerKey, 'the resumption', (s) => s.cancelAtPeriodEnd === false);

    // A failed payment shows as PAST_DUE on live banners; paying makes it ACTIVE again.
    const client = wsClient(server.graphqlUrl, viewer);
    try {
      const updates = collect(client, 'subscription { subscriptionUpdated { status } }');
      await sleep(600);
      fake.setCardDeclined(customerId, true);
      await fake.advanceToPeriodEnd(stripeId);
      await until(org.ownerKey, 'past due', (s) => s.status === 'PAST_DUE');
      await waitFor('the live PAST_DUE', async () =>
        updates.results.some((r) => r.data?.subscriptionUpdated.status === 'PAST_DUE')
          ? true
          : undefined,
      );
      fake.setCardDeclined(customerId, false);
      await fake.retryInvoicePayment(
        fake.state.subscriptions.get(stripeId)?.latest_invoice as string,
      );
      await until(org.ownerKey, 'paid again', (s) => s.status === 'ACTIVE');
    } finally {
      await client.dispose();
    }

    // Three failed payments: the organization falls back to the free plan.
    fake.setCardDeclined(customerId, true);
    await fake.advanceToPeriodEnd(stripeId);
    await until(org.ownerKey, 'first failure', (s) => s.status === 'PAST_DUE');
    const unpaid = fake.state.subscriptions.get(stripeId)?.latest_invoice as string;
    await fake.retryInvoicePayment(unpaid);
    await fake.webhooks.flush();
    await fake.retryInvoicePayment(unpaid);
    const free = await until(org.ownerKey, 'the free plan', (s) => s.plan.key === 'free');
    expect(free).toMatchObject({ status: 'ACTIVE', stripeSubscriptionId: null });
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('canceled');
  });
});

describe('Checkout', () => {
  it('anchors the subscription to the 1st 00:00 UTC: the trial ends on its own date, then a stub to the 1st', {
    timeout: 60_000,
  }, async () => {
    // Move the fake to the 10th of a month at 12:00 UTC, so that the dates are known.
    const now = new Date(fake.now() * 1000);
    const tenth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 10, 12));
    await fake.advanceTime(Math.floor((tenth.getTime() - now.getTime()) / 1000));
    const nextFirst = new Date(Date.UTC(tenth.getUTCFullYear(), tenth.getUTCMonth() + 1, 1));
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: null });
    const checkout = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "starter", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { ... on CheckoutSessionSuccess { session { id } } } }',
      { key: org.ownerKey },
    );
    const sessionId = checkout.data?.createCheckoutSession.session.id;
    // The fake's clock ticks on in whole seconds: times are the 10th at 12:00 and a few seconds.
    const session = fake.state.checkoutSessions.get(sessionId);
    expect((session?.created ?? 0) - tenth.getTime() / 1000).toBeLessThan(30);
    expect((session?.expires_at ?? 0) - (session?.created ?? 0)).toBe(86_400);
    await fake.completeCheckoutSession(sessionId);
    const trialing = await until(org.ownerKey, 'the trial', (s) => s.status === 'TRIALING');
    const stripe = fake.state.subscriptions.get(trialing.stripeSubscriptionId);
    // 14 days of trial from the 10th at 12:00 (and those seconds): the 24th at 12:00.
    const started = stripe?.start_date ?? 0;
    expect(started - tenth.getTime() / 1000).toBeLessThan(30);
    expect(trialing.trialEnd).toBe(new Date((started + 14 * 86_400) * 1000).toISOString());
    expect(stripe?.billing_cycle_anchor).toBe(nextFirst.getTime() / 1000);

    await fake.advanceToPeriodEnd(trialing.stripeSubscriptionId);
    const active = await until(org.ownerKey, 'the first paid period', (s) => s.status === 'ACTIVE');
    expect(active.currentPeriodEnd).toBe(nextFirst.toISOString());
    const stub = fake.state.invoices.get(
      fake.state.subscriptions.get(trialing.stripeSubscriptionId)?.latest_invoice as string,
    );
    // The 24th at 12:00 to the 1st is less than a month: prorated, under $49.00.
    expect(stub?.total).toBeGreaterThan(0);
    expect(stub?.total).toBeLessThan(4900);
  });
});

describe('provisioning', () => {
  it('gives an ADMIN-made organization one customer and one subscription anchored to the 1st, through 429 and 500', {
    timeout: 60_000,
  }, async () => {
    fake.failNext({ method: 'POST', path: /^\/v1\/customers$/, status: 429, retryAfterSeconds: 0 });
    fake.failNext({ method: 'POST', path: /^\/v1\/subscriptions$/, status: 500 });
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
    const provisioned = await waitFor('provisioning', async () => {
      const s = await subscriptionOf(org.ownerKey);
      return s?.stripeSubscriptionId ? s : undefined;
    });
    const customers = [...fake.state.customers.values()].filter(
      (c) => c.metadata.organization_id === org.id,
    );
    const subscriptions = [...fake.state.subscriptions.values()].filter(
      (s) => s.metadata.organization_id === org.id,
    );
    expect(customers).toHaveLength(1);
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.id).toBe(provisioned.stripeSubscriptionId);
    // Retried with the same idempotency key.
    const customerCalls = fake.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/customers' &&
        r.idempotencyKey === `customer:${org.id}`,
    );
    expect(customerCalls.map((r) => r.status)).toEqual([429, 200]);
    const anchor = new Date((subscriptions[0]?.billing_cycle_anchor ?? 0) * 1000);
    expect([anchor.getUTCDate(), anchor.getUTCHours(), anchor.getUTCMinutes()]).toEqual([1, 0, 0]);
    expect(provisioned).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'growth' },
      currentPeriodEnd: anchor.toISOString(),
    });
  });

  it('refuses an upgrade whose payment is declined, changing nothing here', {
    timeout: 60_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const s = await waitFor('provisioning', async () => {
      const sub = await subscriptionOf(org.ownerKey);
      return sub?.stripeSubscriptionId ? sub : undefined;
    });
    fake.setCardDeclined(
      fake.state.subscriptions.get(s.stripeSubscriptionId)?.customer as string,
      true,
    );
    const response = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "scale") { __typename ... on BillingProviderError { code } } }',
      { key: org.ownerKey },
    );
    expect(response.data?.changePlan).toEqual({
      __typename: 'BillingProviderError',
      code: 'card_declined',
    });
    expect((await subscriptionOf(org.ownerKey)).plan.key).toBe('starter');
    expect(
      fake.state.subscriptions.get(s.stripeSubscriptionId)?.items.data[0]?.price.lookup_key,
    ).toBe('starter_v1_month');
  });
});

describe('the webhook sidecar', () => {
  /** A starter organization whose Stripe subscription exists and whose webhooks are in. */
  async function provisionedStarter() {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const subscription = await waitFor('provisioning', async () => {
      const sub = await subscriptionOf(org.ownerKey);
      return sub?.stripeSubscriptionId ? sub : undefined;
    });
    await fake.webhooks.flush();
    return { org, subscription };
  }

  /** A body signed with the webhook secret, as Stripe would send it. */
  function postSigned(payload: string) {
    return fetch(`${server.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signatureHeader(payload, fake.webhookSecret),
      },
      body: payload,
    });
  }

  async function storedEvents(ids: string[]) {
    return queryRows<{ id: string; attempts: number; processed: boolean }>(
      server.db(),
      sql`select id, attempts, processed_at is not null as processed from stripe_events where id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  }

  it('stores and applies an event once however often it is delivered', {
    timeout: 60_000,
  }, async () => {
    const { org, subscription: s } = await provisionedStarter();
    const viewer = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');
    const client = wsClient(server.graphqlUrl, viewer);
    const updates = collect(client, 'subscription { subscriptionUpdated { cancelAtPeriodEnd } }');
    await sleep(600);
    const before = fake.events.length;
    fake.webhooks.duplicate(10);
    await gql(server.graphqlUrl, 'mutation { cancelSubscription { __typename } }', {
      key: org.ownerKey,
    });
    await fake.webhooks.flush();
    fake.webhooks.duplicate(1);
    const ids = fake.events.slice(before).map((e) => e.id);
    expect(ids.length).toBeGreaterThan(0);
    const deliveries = fake.webhooks.deliveries.filter((d) => ids.includes(d.eventId));
    expect(deliveries.length).toBe(ids.length * 10);
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    const stored = await waitFor('processing', async () => {
      const rows = await storedEvents(ids);
      return rows.length === ids.length && rows.every((r) => r.processed) ? rows : undefined;
    });
    expect(stored.every((r) => Number(r.attempts) === 1)).toBe(true);
    expect((await subscriptionOf(org.ownerKey)).cancelAtPeriodEnd).toBe(true);
    // Our own change, echoed back ten times over, is announced once: by the mutation.
    await sleep(300);
    await client.dispose();
    expect(updates.results.map((r) => r.data?.subscriptionUpdated)).toEqual([
      { cancelAtPeriodEnd: true },
    ]);
    expect(s.stripeSubscriptionId).toBeTruthy();
  });

  it('lets the newest state win when events arrive in reverse order', {
    timeout: 60_000,
  }, async () => {
    // Hold everything from the subscription's creation on, then deliver it newest first:
    // updated before created, and the cancel's update after the resume's.
    await fake.webhooks.flush();
    const before = fake.events.length;
    fake.webhooks.hold();
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    await waitFor('provisioning', async () =>
      (await subscriptionOf(org.ownerKey))?.stripeSubscriptionId ? true : undefined,
    );
    await gql(server.graphqlUrl, 'mutation { cancelSubscription { __typename } }', {
      key: org.ownerKey,
    });
    await gql(server.graphqlUrl, 'mutation { resumeSubscription { __typename } }', {
      key: org.ownerKey,
    });
    const held = fake.events.slice(before);
    expect(held.map((e) => e.type)).toEqual(
      expect.arrayContaining(['customer.subscription.created', 'customer.subscription.updated']),
    );
    await fake.webhooks.release('reverse');
    const ids = held.map((e) => e.id);
    await waitFor('processing', async () => {
      const rows = await storedEvents(ids);
      return rows.length === ids.length && rows.every((r) => r.processed) ? true : undefined;
    });
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      cancelAtPeriodEnd: false,
      plan: { key: 'starter' },
    });
  });

  it('counts a payment failure heard after the invoice was paid as nothing: no dunning', async () => {
    const { org, subscription: provisioned } = await provisionedStarter();
    const stripeId: string = provisioned.stripeSubscriptionId;
    const paid = fake.state.invoices.get(
      fake.state.subscriptions.get(stripeId)?.latest_invoice as string,
    );
    expect(paid?.status).toBe('paid');
    // The event as it was sent when the card failed a third time, delivered now: late.
    const payload = JSON.stringify({
      id: `evt_late_failure_${stripeId}`,
      object: 'event',
      type: 'invoice.payment_failed',
      created: fake.now() - 3600,
      data: { object: { ...paid, status: 'open', paid: false, attempt_count: 3 } },
    });
    const response = await postSigned(payload);
    expect(response.status).toBe(200);
    await waitFor('processing', async () => {
      const [row] = await storedEvents([`evt_late_failure_${stripeId}`]);
      return row?.processed ? row : undefined;
    });
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('active');
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'starter' },
    });
    const [dunning] = await queryRows<{ attempts: number }>(
      server.db(),
      sql`select failed_payment_attempts as attempts from billing_subscriptions
          where stripe_subscription_id = ${stripeId}`,
    );
    expect(dunning?.attempts).toBe(0);
  });

  it('answers a signed but malformed event 400 (so Stripe stops retrying) and stores nothing', async () => {
    const malformed = [
      { id: 'evt_no_data_1', object: 'event', type: 'invoice.paid', created: fake.now() },
      {
        id: 'evt_bad_created_1',
        object: 'event',
        type: 'invoice.paid',
        created: 'yesterday',
        data: { object: { id: 'in_x' } },
      },
    ];
    for (const event of malformed) {
      const payload = JSON.stringify(event);
      const response = await postSigned(payload);
      expect(response.status, event.id).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(
        /^malformed Stripe event: /,
      );
    }
    expect(await storedEvents(['evt_no_data_1', 'evt_bad_created_1'])).toEqual([]);
  });

  it('refuses a bad or stale signature with 400 and stores nothing', async () => {
    const payload = JSON.stringify({
      id: 'evt_forged_1',
      object: 'event',
      type: 'customer.subscription.deleted',
      created: fake.now(),
      data: { object: { id: 'sub_x' } },
    });
    const post = (signature: string) =>
      fetch(`${server.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    expect((await post('t=1,v1=deadbeef')).status).toBe(400);
    const stale = signatureHeader(payload, fake.webhookSecret, Math.floor(Date.now() / 1000) - 600);
    expect((await post(stale)).status).toBe(400);
    expect((await post(signatureHeader(payload, 'whsec_wrong'))).status).toBe(400);
    expect(await storedEvents(['evt_forged_1'])).toEqual([]);
  });
});

describe('a crash between storing an event and processing it', () => {
  it('is processed after the restart', { timeout: 120_000 }, async () => {
    const own = await startStripeFake();
    const storage = await createPostgresDatabase();
    const env = {
      ...storage.env,
      ...stripeEnv(own),
      BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      JOBS_SCHEMA: 'pgboss_crash',
      LOG_LEVEL: 'warn',
    };
    try {
      // A server that stores events but runs no jobs: nothing is processed before the crash.
      const first = await spawnServer({ ...env, JOBS_ENABLED: 'false' });
      own.setWebhookUrl(first.graphqlUrl.replace(/\/graphql$/, '/webhooks/stripe'));
      const org = await createOrganization(first.graphqlUrl, TEST_ADMIN_KEY, { planKey: null });
      const stripe = await import('stripe').then(
        (m) => new m.default('sk_test_x', { ...own.clientOptions, maxNetworkRetries: 0 }),
      );
      const customer = await stripe.customers.create({ metadata: { organization_id: org.id } });
      const price = await stripe.prices.create({
        currency: 'usd',
        unit_amount: 4900,
        recurring: { interval: 'month' },
        product: (await stripe.products.create({ name: 'x' })).id,
      });
      await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        metadata: { organization_id: org.id },
      });
      await own.webhooks.flush();
      expect(
        own.webhooks.deliveries
          .filter((d) => d.type === 'customer.subscription.created')
          .map((d) => d.status),
      ).toEqual([200]);
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await startTestServer({ ...env, JOBS_ENABLED: 'true' }, storage);
      try {
        const processed = await waitFor('the stored event to be processed', async () => {
          const rows = await queryRows<{ processed: boolean }>(
            second.db(),
            sql`select processed_at is not null as processed from stripe_events where type = 'customer.subscription.created'`,
          );
          return rows[0]?.processed ? rows : undefined;
        });
        expect(processed).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await own.stop();
      await storage.drop();
    }
  });
});
