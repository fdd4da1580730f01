import { Writable } from 'node:stream';
import { type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/raw.ts';
import { createLogger } from '../src/logger.ts';
import { STRIPE_API_VERSION } from '../src/stripe/stripe-client.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { stripeEnv } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/**
 * The billing server under webhooks delivered as Stripe delivers them (https://docs.stripe.com/webhooks):
 * more than once, out of order, before the API answer that caused them, retried after a failure,
 * and in the webhook endpoint's API version. Real flows against the real fake over HTTP; each
 * test ends on what an operator would check: plan, status, the dunning count, Stripe's invoice.
 */
let fake: StripeFake;
let server: TestServer;
let storage: ScratchDatabase;
const lines: string[] = [];
const log = createLogger(
  { logLevel: 'warn' },
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  }),
);

beforeAll(async () => {
  fake = await startStripeFake();
  // A database of its own: one test makes it refuse to store events for a while.
  storage = await createIsolatedStorage();
  server = await startTestServer(stripeEnv(fake), storage, {
    log,
    now: () => new Date(fake.now() * 1000),
  });
  fake.setWebhookUrl(webhookUrl());
});
afterAll(async () => {
  await server?.stop();
  await fake?.stop();
  await storage?.drop();
});
afterEach(async () => {
  // Back to plain delivery for the next test, with nothing of this one still on its way.
  await fake.webhooks.release();
  fake.webhooks.duplicate(1);
  fake.webhooks.shuffle(null);
  fake.webhooks.beforeResponse(false);
  fake.webhooks.retry(false);
  fake.webhooks.setApiVersion(STRIPE_API_VERSION);
  fake.setWebhookUrl(webhookUrl());
  await fake.webhooks.flush();
});

function webhookUrl() {
  return `${server.url}/webhooks/stripe`;
}

const SUBSCRIPTION =
  '{ subscription { status plan { key } pendingPlan { key } cancelAtPeriodEnd stripeSubscriptionId currentPeriodEnd } }';

async function subscriptionOf(key: string) {
  return (await gql(server.graphqlUrl, SUBSCRIPTION, { key })).data?.subscription;
}

async function until(org: TestOrganization, what: string, test: (s: any) => boolean) {
  await fake.webhooks.flush();
  return waitFor(what, async () => {
    const s = await subscriptionOf(org.ownerKey);
    return s && test(s) ? s : undefined;
  });
}

/**
 * An organization on `planKey` provisioned in Stripe by the server's job, the events delivered so
 * far processed (any of them makes the server read the subscription from Stripe again).
 */
async function provisioned(planKey: string) {
  const before = fake.events.length;
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  const s = await waitFor('provisioning', async () => {
    const sub = await subscriptionOf(org.ownerKey);
    return sub?.stripeSubscriptionId ? sub : undefined;
  });
  await settled(before);
  const stripeId: string = s.stripeSubscriptionId;
  const customerId = fake.state.subscriptions.get(stripeId)?.customer as string;
  return { org, stripeId, customerId };
}

async function changePlan(org: TestOrganization, planKey: string, timing = 'IMMEDIATELY') {
  const response = await gql(
    server.graphqlUrl,
    `mutation { changePlan(planKey: "${planKey}", timing: ${timing}) { __typename ... on Error { message } } }`,
    { key: org.ownerKey },
  );
  expect(response.data?.changePlan).toEqual({ __typename: 'ChangePlanSuccess' });
}

function latestInvoice(stripeId: string) {
  const id = fake.state.subscriptions.get(stripeId)?.latest_invoice as string;
  const invoice = fake.state.invoices.get(id);
  if (!invoice) throw new Error(`${stripeId} has no invoice`);
  return invoice;
}

/** The dunning count the server keeps for the subscription (failed attempts of its unpaid invoice). */
async function failedAttempts(stripeId: string): Promise<number | undefined> {
  const [row] = await queryRows<{ attempts: number }>(
    server.db(),
    sql`select failed_payment_attempts as attempts from billing_subscriptions
        where stripe_subscription_id = ${stripeId}`,
  );
  return row === undefined ? undefined : Number(row.attempts);
}

async function storedEvents(ids: string[]) {
  if (ids.length === 0) return [];
  return queryRows<{ id: string; attempts: number; processed: boolean }>(
    server.db(),
    sql`select id, attempts, processed_at is not null as processed from stripe_events where id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
}

/**
 * Waits until every event the fake made since `from` and delivered with a 2xx is stored and
 * processed; returns their rows.
 */
async function settled(from: number) {
  await fake.webhooks.flush();
  const accepted = new Set(
    fake.webhooks.deliveries
      .filter((d) => d.status !== null && d.status >= 200 && d.status < 300)
      .map((d) => d.eventId),
  );
  const ids = fake.events
    .slice(from)
    .map((e) => e.id)
    .filter((id) => accepted.has(id));
  return waitFor('the delivered events to be processed', async () => {
    const rows = await storedEvents(ids);
    return rows.length === ids.length && rows.every((r) => r.processed) ? rows : undefined;
  });
}

describe('duplicated events', () => {
  it('apply provisioning, an upgrade and two failed payments once each though each event comes three times, shuffled', {
    timeout: 90_000,
  }, async () => {
    fake.webhooks.duplicate(3);
    fake.webhooks.shuffle(5);
    const before = fake.events.length;
    const { org, stripeId, customerId } = await provisioned('starter');
    await changePlan(org, 'growth');
    await until(org, 'growth', (s) => s.plan.key === 'growth');

    fake.setCardDeclined(customerId, true);
    await fake.advanceToPeriodEnd(stripeId);
    await until(org, 'past due', (s) => s.status === 'PAST_DUE');
    const unpaid = latestInvoice(stripeId).id;
    await fake.retryInvoicePayment(unpaid);
    await settled(before);
    // Two failures, counted as Stripe counts them: not six (which would be past the 3 of dunning).
    expect(fake.state.invoices.get(unpaid)?.attempt_count).toBe(2);
    expect(await failedAttempts(stripeId)).toBe(2);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'PAST_DUE',
      plan: { key: 'growth' },
      stripeSubscriptionId: stripeId,
    });

    fake.setCardDeclined(customerId, false);
    await fake.retryInvoicePayment(unpaid);
    await until(org, 'paid again', (s) => s.status === 'ACTIVE');
    const rows = await settled(before);
    expect(await failedAttempts(stripeId)).toBe(0);
    expect(fake.state.invoices.get(unpaid)?.status).toBe('paid');
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('active');
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'growth' },
      pendingPlan: null,
    });
    // Every event of the flow came three times and was stored and processed once.
    const ids = rows.map((r) => r.id);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      expect(fake.webhooks.deliveries.filter((d) => d.eventId === id).length, id).toBe(3);
    }
    expect(rows.every((r) => Number(r.attempts) === 1)).toBe(true);
  });
});

describe('events out of order', () => {
  it('end on the newest state: a renewal’s failed payment heard after the payment that settled it', {
    timeout: 90_000,
  }, async () => {
    const before = fake.events.length;
    fake.webhooks.hold();
    const { org, stripeId, customerId } = await provisioned('starter');
    await changePlan(org, 'growth');
    fake.setCardDeclined(customerId, true);
    await fake.advanceToPeriodEnd(stripeId);
    const unpaid = latestInvoice(stripeId).id;
    fake.setCardDeclined(customerId, false);
    await fake.retryInvoicePayment(unpaid);
    const types = fake.events.slice(before).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['invoice.payment_failed', 'invoice.paid']));
    // Newest first: the payment before the failure it settled.
    await fake.webhooks.release('reverse');
    await settled(before);
    const ofUnpaid = new Set(
      fake.events.filter((e) => e.data.object.id === unpaid).map((e) => e.id),
    );
    const heard = fake.webhooks.deliveries.filter((d) => ofUnpaid.has(d.eventId));
    const paidAt = heard.findIndex((d) => d.type === 'invoice.paid');
    const failedAt = heard.findIndex((d) => d.type === 'invoice.payment_failed');
    expect(paidAt).toBeGreaterThanOrEqual(0);
    expect(paidAt).toBeLessThan(failedAt);

    const period = fake.state.subscriptions.get(stripeId)?.items.data[0]?.current_period_end ?? 0;
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'growth' },
      currentPeriodEnd: new Date(period * 1000).toISOString(),
    });
    // The failure was heard after the invoice was paid: no dunning.
    expect(await failedAttempts(stripeId)).toBe(0);
    expect(fake.state.invoices.get(unpaid)?.status).toBe('paid');
  });

  it('take a downgrade at the renewal when the renewal’s events come before the change’s', {
    timeout: 90_000,
  }, async () => {
    const { org, stripeId } = await provisioned('growth');
    await fake.webhooks.flush();
    const before = fake.events.length;
    fake.webhooks.hold();
    await changePlan(org, 'starter', 'PERIOD_END');
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      plan: { key: 'growth' },
      pendingPlan: { key: 'starter' },
    });
    await fake.advanceToPeriodEnd(stripeId);
    await fake.webhooks.release('reverse');
    await settled(before);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'starter' },
      pendingPlan: null,
    });
  });
});

describe('events delivered before the API answer', () => {
  it('provisioning and an upgrade come out as asked', { timeout: 90_000 }, async () => {
    // Every answer that made events is written 1.5 s after they were delivered: the server's job
    // (polling every 0.5 s) has processed them before the call that caused them returns.
    fake.webhooks.beforeResponse(true, 1_500);
    const before = fake.events.length;
    const { org } = await provisioned('starter');
    const created = fake.events
      .slice(before)
      .find((e) => e.type === 'customer.subscription.created');
    expect(fake.webhooks.deliveries.find((d) => d.eventId === created?.id)?.status).toBe(200);

    await changePlan(org, 'growth');
    await settled(before);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'growth' },
      pendingPlan: null,
    });
  });

  /*
   * Found with this test: when changePlan(PERIOD_END) changed Stripe's price at once and recorded
   * the pending plan only after Stripe answered, the `customer.subscription.updated` of that
   * change, processed in between, found Stripe on the new price and no pending plan here, took it
   * for a change made in Stripe and downgraded at once; the mutation then added the pending plan
   * on top (plan starter, pendingPlan starter, a month early). The fix is the subscription
   * schedule of src/resolvers/subscriptions/stripe-plan-change.ts: the price stays until the
   * renewal.
   */
  it('a downgrade at period end waits for the renewal even when its event is processed first', {
    timeout: 90_000,
  }, async () => {
    const { org, stripeId } = await provisioned('growth');
    const before = fake.events.length;
    fake.webhooks.beforeResponse(true, 2_500);
    await changePlan(org, 'starter', 'PERIOD_END');
    await settled(before);
    // The price is Stripe's already; the plan (and its limits) change only at the renewal.
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'growth' },
      pendingPlan: { key: 'starter' },
    });
    fake.webhooks.beforeResponse(false);
    await fake.advanceToPeriodEnd(stripeId);
    await until(org, 'the downgrade at renewal', (s) => s.plan.key === 'starter');
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'starter' },
      pendingPlan: null,
    });
  });
});

describe('deliveries that failed, retried later', () => {
  it('count two failed payments once each after the server was unreachable for both', {
    timeout: 90_000,
  }, async () => {
    const { org, stripeId, customerId } = await provisioned('starter');
    await fake.webhooks.flush();
    const before = fake.events.length;
    fake.webhooks.retry();
    fake.setWebhookUrl('http://127.0.0.1:1/webhooks/stripe');
    fake.setCardDeclined(customerId, true);
    await fake.advanceToPeriodEnd(stripeId);
    const unpaid = latestInvoice(stripeId).id;
    await fake.retryInvoicePayment(unpaid);
    await fake.webhooks.flush();
    expect(fake.webhooks.pendingRetries().map((r) => r.type)).toEqual(
      expect.arrayContaining(['invoice.payment_failed', 'invoice.payment_failed']),
    );
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({ status: 'ACTIVE' });

    // Back up: Stripe's next attempts (5 minutes on) find it.
    fake.setWebhookUrl(webhookUrl());
    await fake.advanceTime(301);
    await until(org, 'past due', (s) => s.status === 'PAST_DUE');
    await settled(before);
    expect(fake.webhooks.pendingRetries()).toEqual([]);
    expect(await failedAttempts(stripeId)).toBe(2);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'PAST_DUE',
      plan: { key: 'starter' },
      stripeSubscriptionId: stripeId,
    });
  });

  it('store and apply an event the server answered 500 (its database refused) when Stripe retries it', {
    timeout: 90_000,
  }, async () => {
    const { org, stripeId, customerId } = await provisioned('starter');
    await fake.webhooks.flush();
    const before = fake.events.length;
    fake.webhooks.retry();
    // The database refuses every new event for a while (this test's database only).
    await server
      .db()
      .execute(
        sql.raw('alter table stripe_events add constraint refuse_events check (false) not valid'),
      );
    try {
      fake.setCardDeclined(customerId, true);
      await fake.advanceToPeriodEnd(stripeId);
      await fake.webhooks.flush();
    } finally {
      await server.db().execute(sql.raw('alter table stripe_events drop constraint refuse_events'));
    }
    const failed = fake.events.slice(before).find((e) => e.type === 'invoice.payment_failed');
    expect(fake.webhooks.deliveries.find((d) => d.eventId === failed?.id)?.status).toBe(500);
    expect(await storedEvents([failed?.id as string])).toEqual([]);
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({ status: 'ACTIVE' });

    await fake.advanceTime(301);
    await until(org, 'past due', (s) => s.status === 'PAST_DUE');
    await settled(before);
    expect(
      fake.webhooks.deliveries.filter((d) => d.eventId === failed?.id).map((d) => d.status),
    ).toEqual([500, 200]);
    expect(await failedAttempts(stripeId)).toBe(1);
  });
});

describe('the API version of events', () => {
  it('refuses an event of another version with 500, stores and applies none of it, and says what to do', {
    timeout: 90_000,
  }, async () => {
    const { org, stripeId, customerId } = await provisioned('starter');
    await fake.webhooks.flush();
    const before = fake.events.length;
    lines.length = 0;
    fake.webhooks.retry();
    // The endpoint renders events in an older version (the account's default was, say, kept).
    fake.webhooks.setApiVersion('2025-03-31.basil');
    fake.setCardDeclined(customerId, true);
    await fake.advanceToPeriodEnd(stripeId);
    await fake.webhooks.flush();
    const refused = fake.events.slice(before).map((e) => e.id);
    expect(refused.length).toBeGreaterThan(0);
    const firsts = fake.webhooks.deliveries.filter((d) => refused.includes(d.eventId));
    expect(firsts.map((d) => [d.apiVersion, d.status])).toEqual(
      refused.map(() => ['2025-03-31.basil', 500]),
    );
    expect(await storedEvents(refused)).toEqual([]);
    // Stripe has the subscription past due; here nothing of the refused events was applied.
    expect(fake.state.subscriptions.get(stripeId)?.status).toBe('past_due');
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({ status: 'ACTIVE' });
    expect(await failedAttempts(stripeId)).toBe(0);
    const logged = lines.map((line) => JSON.parse(line));
    const line = logged.find((l) => /API version/.test(l.msg ?? ''));
    expect(line).toMatchObject({ level: 50, eventApiVersion: '2025-03-31.basil' });
    expect(line.msg).toContain('2025-03-31.basil');
    expect(line.msg).toContain(STRIPE_API_VERSION);
    expect(line.msg).toContain("Set the webhook endpoint's API version to 2026-10-28.endive");
    // Refused, so Stripe keeps them as undelivered and tries again: refused again, still nothing.
    expect(fake.webhooks.pendingRetries().length).toBe(refused.length);
    await fake.advanceTime(301);
    await fake.webhooks.flush();
    expect(
      fake.webhooks.deliveries.filter((d) => refused.includes(d.eventId) && d.attempt === 2),
    ).toHaveLength(refused.length);
    expect(await storedEvents(refused)).toEqual([]);

    // The endpoint set to the pinned version: the next events are taken, and the state they
    // lead the server to read from Stripe is whole (two failed attempts, as Stripe counts).
    fake.webhooks.setApiVersion(STRIPE_API_VERSION);
    const fixed = fake.events.length;
    await fake.retryInvoicePayment(latestInvoice(stripeId).id);
    await until(org, 'past due', (s) => s.status === 'PAST_DUE');
    await settled(fixed);
    expect(await failedAttempts(stripeId)).toBe(2);
  });
});
