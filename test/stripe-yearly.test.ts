import type { StripeFake } from '@graphql-billing/stripe-fake';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarMonthOf } from '../src/billing/period.ts';
import { queryRows } from '../src/db/raw.ts';
import { runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createKey } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import type { TestServer } from './support/server.ts';
import { startStripeServer } from './support/stripe.ts';
import { record, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/** Yearly subscriptions as Stripe bills them: a yearly price, anchored to the 1st. */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  ({ fake, server, stop: stopServer } = await startStripeServer());
  // Chat Plus: $8.00 a month or $80.00 a year.
  const published = await admin(
    'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename } }',
    {
      input: {
        key: 'chat_plus',
        name: 'Chat Plus',
        prices: [
          { interval: 'MONTH', amount: '800' },
          { interval: 'YEAR', amount: '8000' },
        ],
        quotas: [
          {
            meter: 'api_requests',
            included: '100000',
            mode: 'OVERAGE',
            overageUnitPrice: '0.0005',
          },
        ],
      },
    },
  );
  expect(published.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
});
afterAll(() => stopServer?.());

function admin(query: string, variables?: Record<string, unknown>) {
  return gql(server.graphqlUrl, query, {
    key: server.adminKey,
    ...(variables ? { variables } : {}),
  });
}

const SUBSCRIPTION =
  '{ subscription { interval pendingInterval currentPeriodStart currentPeriodEnd stripeSubscriptionId } }';

async function subscriptionOf(key: string) {
  return (await gql(server.graphqlUrl, SUBSCRIPTION, { key })).data?.subscription;
}

/** An organization on Chat Plus at `interval`, provisioned in Stripe, its webhooks in. */
async function provisioned(interval: 'MONTH' | 'YEAR') {
  const created = await admin(
    `mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) {
      ... on CreateOrganizationSuccess { organization { id } ownerKey { secret } } } }`,
    { input: { name: `yearly ${interval} ${Date.now()}`, planKey: 'chat_plus', interval } },
  );
  const ownerKey = created.data?.createOrganization.ownerKey.secret as string;
  const organizationId = created.data?.createOrganization.organization.id as string;
  const subscription = await waitFor('provisioning', async () => {
    const s = await subscriptionOf(ownerKey);
    return s?.stripeSubscriptionId ? s : undefined;
  });
  await fake.webhooks.flush();
  return { ownerKey, organizationId, stripeId: subscription.stripeSubscriptionId as string };
}

const stripeSubscription = (id: string) => fake.state.subscriptions.get(id);
const firstItem = (id: string) => stripeSubscription(id)?.items.data[0];
const unix = (iso: string) => Date.parse(iso) / 1000;
/** The 1st 00:00 UTC twelve months after the month of `at` (unix seconds). */
function yearlyAnchorAfter(at: number): number {
  const d = new Date(at * 1000);
  return Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), 1) / 1000;
}

describe('a yearly subscription with Stripe', () => {
  it('is provisioned on the yearly price, anchored to the 1st twelve months on', {
    timeout: 60_000,
  }, async () => {
    // Stripe makes the yearly price and its answer is lost: stripe-node retries with its key.
    fake.loseNext({ method: 'POST', path: /^\/v1\/prices$/ });
    const { ownerKey, stripeId } = await provisioned('YEAR');
    const item = firstItem(stripeId);
    expect(item?.price.lookup_key).toBe('chat_plus_v1_year');
    const creations = fake.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/prices' &&
        r.params.lookup_key === 'chat_plus_v1_year',
    );
    expect(creations.map((r) => r.fault ?? r.status)).toEqual(['lose', 200]);
    expect(new Set(creations.map((r) => r.idempotencyKey)).size).toBe(1);
    const yearly = [...fake.state.prices.values()].filter(
      (p) => p.lookup_key === 'chat_plus_v1_year',
    );
    expect(yearly.map((p) => [p.unit_amount, p.recurring?.interval])).toEqual([[8000, 'year']]);
    const start = stripeSubscription(stripeId)?.start_date ?? 0;
    const anchor = yearlyAnchorAfter(start);
    expect(stripeSubscription(stripeId)?.billing_cycle_anchor).toBe(anchor);
    expect(await subscriptionOf(ownerKey)).toMatchObject({
      interval: 'YEAR',
      currentPeriodEnd: new Date(anchor * 1000).toISOString(),
    });
    // Stripe bills the stub to the anchor as that year's part: $80.00 × stub / year, rounded.
    const yearStart =
      Date.UTC(new Date(start * 1000).getUTCFullYear(), new Date(start * 1000).getUTCMonth(), 1) /
      1000;
    const invoice = fake.state.invoices.get(stripeSubscription(stripeId)?.latest_invoice as string);
    expect(invoice?.total).toBe(Math.round((8000 * (anchor - start)) / (anchor - yearStart)));
  });

  it('invoices each month’s usage on an invoice of its own, the year’s base left to Stripe', {
    timeout: 60_000,
  }, async () => {
    const { ownerKey, organizationId } = await provisioned('YEAR');
    const ingest = await createKey(server.graphqlUrl, ownerKey, organizationId, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '150000',
      idempotencyKey: uniqueKey(),
    });
    const services = server.app.services;
    if (!services) throw new Error('server not started');
    const month = calendarMonthOf(new Date(fake.now() * 1000));
    // After the month and its 48-hour grace window: the run makes the invoice final, in Stripe.
    const report = await runInvoices(services, server.app.log, {
      month,
      now: new Date(month.end.getTime() + 49 * 3_600_000),
    });
    expect(report.failed).toEqual([]);
    const [ours] = await queryRows<{ id: string; amount_due: string | number }>(
      server.db(),
      sql`select id, amount_due from invoices where organization_id = ${organizationId}`,
    );
    // 50,000 requests over × $0.0005 = $25.00; the base is the yearly subscription's.
    expect(String(ours?.amount_due)).toBe('2500');
    const pushed = [...fake.state.invoices.values()].filter(
      (i) => i.metadata?.invoice_id === ours?.id,
    );
    expect(pushed.map((i) => [i.total, i.status])).toEqual([[2500, 'open']]);
    const items = [...fake.state.invoiceItems.values()].filter(
      (item) => item.metadata?.invoice_id === ours?.id,
    );
    expect(items.map((item) => item.amount)).toEqual([2500]);
  });

  it('is signed up for through Checkout on the yearly price', { timeout: 60_000 }, async () => {
    const created = await admin(
      `mutation { createOrganization(input: { name: "checkout yearly" }) {
        ... on CreateOrganizationSuccess { ownerKey { secret } } } }`,
    );
    const ownerKey = created.data?.createOrganization.ownerKey.secret as string;
    const checkout = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "chat_plus", interval: YEAR, successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { ... on CheckoutSessionSuccess { session { id } } } }',
      { key: ownerKey },
    );
    const sessionId = checkout.data?.createCheckoutSession.session.id;
    const { subscriptionId } = await fake.completeCheckoutSession(sessionId);
    const ours = await waitFor('the sign-up', async () => {
      const s = await subscriptionOf(ownerKey);
      return s?.stripeSubscriptionId ? s : undefined;
    });
    expect(firstItem(subscriptionId)?.price.lookup_key).toBe('chat_plus_v1_year');
    const anchor = yearlyAnchorAfter(stripeSubscription(subscriptionId)?.start_date ?? 0);
    expect(stripeSubscription(subscriptionId)?.billing_cycle_anchor).toBe(anchor);
    expect(ours).toMatchObject({
      interval: 'YEAR',
      currentPeriodEnd: new Date(anchor * 1000).toISOString(),
    });
  });

  it('becomes yearly at once from monthly: a new year in Stripe, less the unused month', {
    timeout: 60_000,
  }, async () => {
    const { ownerKey, stripeId } = await provisioned('MONTH');
    expect(firstItem(stripeId)?.price.lookup_key).toBe('chat_plus_v1_month');
    const changed = await gql(
      server.graphqlUrl,
      `mutation { changePlan(planKey: "chat_plus", interval: YEAR, timing: IMMEDIATELY) {
        __typename ... on ChangePlanSuccess { subscription { interval currentPeriodStart currentPeriodEnd } preview { proration { amount } } }
        ... on Error { message } } }`,
      { key: ownerKey },
    );
    expect(changed.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    const item = firstItem(stripeId);
    expect(item?.price.lookup_key).toBe('chat_plus_v1_year');
    // Stripe's new period is a whole year from the change; ours is Stripe's.
    const { subscription, preview } = changed.data?.changePlan ?? {};
    expect(subscription).toEqual({
      interval: 'YEAR',
      currentPeriodStart: new Date((item?.current_period_start ?? 0) * 1000).toISOString(),
      currentPeriodEnd: new Date((item?.current_period_end ?? 0) * 1000).toISOString(),
    });
    expect(
      new Date(subscription.currentPeriodEnd).getTime() -
        new Date(subscription.currentPeriodStart).getTime(),
    ).toBeGreaterThanOrEqual(365 * 86_400_000);
    // What we previewed is what Stripe invoiced: $80.00 less the month's unused time.
    const invoice = fake.state.invoices.get(stripeSubscription(stripeId)?.latest_invoice as string);
    expect(invoice?.billing_reason).toBe('subscription_update');
    expect(Number(preview.proration.amount)).toBe(invoice?.total);
    expect(invoice?.total).toBeLessThan(8000);
    expect(invoice?.total).toBeGreaterThanOrEqual(8000 - 800);
  });

  it('becomes monthly at the end of its paid year, through a schedule', {
    timeout: 60_000,
  }, async () => {
    const { ownerKey, stripeId } = await provisioned('YEAR');
    const changed = await gql(
      server.graphqlUrl,
      `mutation { changePlan(planKey: "chat_plus", interval: MONTH, timing: PERIOD_END) {
        __typename ... on ChangePlanSuccess { subscription { interval pendingInterval } } ... on Error { message } } }`,
      { key: ownerKey },
    );
    expect(changed.data?.changePlan).toEqual({
      __typename: 'ChangePlanSuccess',
      subscription: { interval: 'YEAR', pendingInterval: 'MONTH' },
    });
    expect(firstItem(stripeId)?.price.lookup_key).toBe('chat_plus_v1_year');
    await fake.webhooks.flush();
    expect(await subscriptionOf(ownerKey)).toMatchObject({
      interval: 'YEAR',
      pendingInterval: 'MONTH',
    });

    const yearEnd = firstItem(stripeId)?.current_period_end ?? 0;
    await fake.advanceToPeriodEnd(stripeId);
    await fake.webhooks.flush();
    expect(firstItem(stripeId)?.price.lookup_key).toBe('chat_plus_v1_month');
    const monthly = await waitFor('the renewal applied', async () => {
      const s = await subscriptionOf(ownerKey);
      return s.interval === 'MONTH' ? s : undefined;
    });
    expect(monthly).toMatchObject({
      pendingInterval: null,
      currentPeriodStart: new Date(yearEnd * 1000).toISOString(),
    });
    expect(unix(monthly.currentPeriodEnd) - yearEnd).toBeLessThanOrEqual(31 * 86_400);
  });
});
