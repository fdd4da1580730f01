import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBillingMonth } from '../src/billing/period.ts';
import { runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { renewLedgerSubscriptions } from '../src/resolvers/subscriptions/subscription-state.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, testClock, uniqueKey } from './support/usage.ts';

/**
 * Yearly subscriptions, ledger-only: the base once a year, when the year begins; usage, quotas
 * and overage per calendar month, invoiced monthly.
 */
const clock = testClock('2026-03-01T00:00:00.000Z');
// Publishing changes the global catalog: this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({ JOBS_ENABLED: 'false' }, storage, { now: clock.now });
  // Chat Plus: $8.00 a month or $80.00 a year; 100,000 requests a month, then $0.0005 each.
  const published = await admin(
    'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename ... on Error { message } } }',
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
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

function admin(query: string, variables?: Record<string, unknown>) {
  return gql(server.graphqlUrl, query, {
    key: server.adminKey,
    ...(variables ? { variables } : {}),
  });
}

interface Tenant {
  id: string;
  ownerKey: string;
  ingest: string;
}

async function tenantAt(at: string, interval?: 'MONTH' | 'YEAR'): Promise<Tenant> {
  clock.set(at);
  const created = await admin(
    `mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) {
      ... on CreateOrganizationSuccess { organization { id } ownerKey { secret } }
      ... on ValidationError { message } } }`,
    { input: { name: `yearly ${uniqueKey()}`, planKey: 'chat_plus', interval } },
  );
  const { organization, ownerKey } = created.data?.createOrganization ?? {};
  if (!organization) throw new Error(JSON.stringify(created));
  return {
    id: organization.id,
    ownerKey: ownerKey.secret,
    ingest: await createKey(server.graphqlUrl, ownerKey.secret, organization.id, 'INGEST'),
  };
}

async function requests(org: Tenant, at: string, quantity: string) {
  clock.set(at);
  const recorded = await record(server.graphqlUrl, org.ingest, {
    meter: 'api_requests',
    quantity,
    idempotencyKey: uniqueKey(),
  });
  expect(recorded.errors).toBeUndefined();
}

/** The month's invoice run, as the job runs it on the 1st at 06:00 UTC. */
async function invoiceRun(period: string, asOf: string) {
  clock.set(asOf);
  const services = server.app.services;
  if (!services) throw new Error('server not started');
  await runInvoices(services, server.app.log, {
    month: parseBillingMonth(period) as NonNullable<ReturnType<typeof parseBillingMonth>>,
    now: clock.now(),
  });
}

async function renewAt(at: string) {
  clock.set(at);
  const services = server.app.services;
  if (!services) throw new Error('server not started');
  await renewLedgerSubscriptions(services, server.app.log);
}

/** The organization's invoice of a month: its lines as [kind, description, amount], and total. */
async function invoiceOf(org: Tenant, monthStart: string) {
  const response = await gql(
    server.graphqlUrl,
    '{ invoices(first: 24) { edges { node { periodStart total { amount } lineItems { kind description amount { amount } } } } } }',
    { key: org.ownerKey },
  );
  const invoice = response.data?.invoices.edges
    .map((e: { node: unknown }) => e.node)
    .find((i: { periodStart: string }) => i.periodStart.startsWith(monthStart));
  if (!invoice) throw new Error(`no invoice from ${monthStart}: ${JSON.stringify(response)}`);
  return {
    lines: invoice.lineItems.map(
      (l: { kind: string; description: string; amount: { amount: string } }) => [
        l.kind,
        l.description,
        l.amount.amount,
      ],
    ),
    total: invoice.total.amount,
  };
}

const SUBSCRIPTION =
  '{ subscription { interval pendingInterval currentPeriodStart currentPeriodEnd } }';

describe('a yearly subscription', () => {
  it('pays its base once, when its year begins, and overage every month', async () => {
    const org = await tenantAt('2026-03-16T00:00:00.000Z', 'YEAR');
    const subscription = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
    expect(subscription.data?.subscription).toEqual({
      interval: 'YEAR',
      pendingInterval: null,
      currentPeriodStart: '2026-03-16T00:00:00.000Z',
      currentPeriodEnd: '2027-03-01T00:00:00.000Z',
    });

    await requests(org, '2026-03-20T00:00:00.000Z', '150000');
    await invoiceRun('2026-03', '2026-04-01T06:00:00.000Z');
    // The year runs from March 16th to March 1st, 2027: 350 of the 365 days from March 1st,
    // $80.00 × 350 / 365 = $76.7123… → $76.71. Overage: 50,000 × $0.0005 = $25.00.
    expect(await invoiceOf(org, '2026-03')).toEqual({
      lines: [
        ['BASE', 'Chat Plus plan, March 2026 (billed yearly)', '0'],
        ['OVERAGE', 'api_requests: 50,000 requests over the included 100,000', '2500'],
        ['BASE', 'Chat Plus plan, yearly, 2026-03-16 to 2027-03-01 (prorated)', '7671'],
      ],
      total: '10171',
    });

    // April: no base, 20,000 requests over: $10.00.
    await requests(org, '2026-04-10T00:00:00.000Z', '120000');
    await invoiceRun('2026-04', '2026-05-01T06:00:00.000Z');
    expect(await invoiceOf(org, '2026-04')).toEqual({
      lines: [
        ['BASE', 'Chat Plus plan, April 2026 (billed yearly)', '0'],
        ['OVERAGE', 'api_requests: 20,000 requests over the included 100,000', '1000'],
      ],
      total: '1000',
    });

    // The next year begins on March 1st, 2027: the whole $80.00, once.
    await renewAt('2027-03-01T00:10:00.000Z');
    await renewAt('2027-03-01T00:20:00.000Z');
    const renewed = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
    expect(renewed.data?.subscription).toMatchObject({
      interval: 'YEAR',
      currentPeriodStart: '2027-03-01T00:00:00.000Z',
      currentPeriodEnd: '2028-03-01T00:00:00.000Z',
    });
    await invoiceRun('2027-03', '2027-04-01T06:00:00.000Z');
    expect(await invoiceOf(org, '2027-03')).toEqual({
      lines: [
        ['BASE', 'Chat Plus plan, March 2027 (billed yearly)', '0'],
        ['BASE', 'Chat Plus plan, yearly, 2027-03-01 to 2028-03-01', '8000'],
      ],
      total: '8000',
    });
  });

  it('is refused for a plan that is not sold yearly', async () => {
    clock.set('2026-03-16T00:00:00.000Z');
    const refused = await admin(
      `mutation { createOrganization(input: { name: "no yearly", planKey: "starter", interval: YEAR }) {
        __typename ... on ValidationError { fieldErrors { path message } } } }`,
    );
    expect(refused.data?.createOrganization).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [
        { path: ['input', 'interval'], message: 'the Starter plan is not sold yearly' },
      ],
    });
  });
});

describe('changing the interval', () => {
  const CHANGE = `mutation ($interval: BillingInterval, $timing: PlanChangeTiming) {
    changePlan(planKey: "chat_plus", interval: $interval, timing: $timing) {
      __typename
      ... on ChangePlanSuccess {
        subscription { interval pendingInterval currentPeriodStart currentPeriodEnd }
        preview { proration { amount } }
      }
      ... on ValidationError { fieldErrors { path message } }
    }
  }`;

  it('monthly to yearly at once: the unused month credited, the year charged from now', async () => {
    const org = await tenantAt('2026-05-01T00:00:00.000Z');
    clock.set('2026-05-16T00:00:00.000Z');
    const changed = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { interval: 'YEAR', timing: 'IMMEDIATELY' },
    });
    // Unused: $8.00 × 16 of May's 31 days = $4.129… → −$4.13. The year from May 16th to May 1st,
    // 2027: $80.00 × 350 / 365 = $76.71. Net $72.58.
    expect(changed.data?.changePlan).toEqual({
      __typename: 'ChangePlanSuccess',
      subscription: {
        interval: 'YEAR',
        pendingInterval: null,
        currentPeriodStart: '2026-05-16T00:00:00.000Z',
        currentPeriodEnd: '2027-05-01T00:00:00.000Z',
      },
      preview: { proration: { amount: '7258' } },
    });
    await invoiceRun('2026-05', '2026-06-01T06:00:00.000Z');
    expect(await invoiceOf(org, '2026-05')).toEqual({
      lines: [
        ['BASE', 'Chat Plus plan, May 2026', '800'],
        ['PRORATION', 'Unused time on Chat Plus after 2026-05-16 00:00 UTC', '-413'],
        ['BASE', 'Chat Plus plan, yearly, 2026-05-16 to 2027-05-01 (prorated)', '7671'],
      ],
      total: '8058',
    });
    await invoiceRun('2026-06', '2026-07-01T06:00:00.000Z');
    expect(await invoiceOf(org, '2026-06')).toEqual({
      lines: [['BASE', 'Chat Plus plan, June 2026 (billed yearly)', '0']],
      total: '0',
    });
  });

  it('yearly to monthly waits for the end of the paid year', async () => {
    const org = await tenantAt('2026-06-01T00:00:00.000Z', 'YEAR');
    clock.set('2026-09-10T00:00:00.000Z');
    const now = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { interval: 'MONTH', timing: 'IMMEDIATELY' },
    });
    expect(now.data?.changePlan).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [
        {
          path: ['timing'],
          message:
            'a yearly subscription becomes monthly at the end of its paid year: use PERIOD_END',
        },
      ],
    });
    const later = await gql(server.graphqlUrl, CHANGE, {
      key: org.ownerKey,
      variables: { interval: 'MONTH', timing: 'PERIOD_END' },
    });
    expect(later.data?.changePlan).toMatchObject({
      subscription: { interval: 'YEAR', pendingInterval: 'MONTH' },
      preview: { proration: { amount: '0' } },
    });

    await renewAt('2027-06-01T00:10:00.000Z');
    const monthly = await gql(server.graphqlUrl, SUBSCRIPTION, { key: org.ownerKey });
    expect(monthly.data?.subscription).toEqual({
      interval: 'MONTH',
      pendingInterval: null,
      currentPeriodStart: '2027-06-01T00:00:00.000Z',
      currentPeriodEnd: '2027-07-01T00:00:00.000Z',
    });
    // May 2027 was paid by the year; June 2027 is the first monthly month.
    await invoiceRun('2027-05', '2027-06-01T06:00:00.000Z');
    expect((await invoiceOf(org, '2027-05')).total).toBe('0');
    await invoiceRun('2027-06', '2027-07-01T06:00:00.000Z');
    expect(await invoiceOf(org, '2027-06')).toEqual({
      lines: [['BASE', 'Chat Plus plan, June 2027', '800']],
      total: '800',
    });
  });
});
