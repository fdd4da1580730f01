import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBillingMonth } from '../src/billing/period.ts';
import { runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { errorCodes, gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, recordBatch, testClock, uniqueKey } from './support/usage.ts';

/**
 * The invoice run in ledger-only mode, on a database of its own (a run invoices every
 * organization of its database). Jobs are off: the tests run the invoice run themselves.
 */
const clock = testClock('2026-03-01T00:00:00.000Z');
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({ JOBS_ENABLED: 'false' }, storage, { now: clock.now });
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

async function invoiceRun(period: string, asOf: string) {
  clock.set(asOf);
  const services = server.app.services;
  if (!services) throw new Error('server not started');
  return runInvoices(services, server.app.log, {
    month: parseBillingMonth(period) as NonNullable<ReturnType<typeof parseBillingMonth>>,
    now: clock.now(),
  });
}

async function tenantAt(at: string, planKey: string): Promise<TestOrganization> {
  clock.set(at);
  return createOrganization(server.graphqlUrl, server.adminKey, { planKey });
}

const INVOICES = `query ($first: Int, $after: String, $status: InvoiceStatus) {
  invoices(first: $first, after: $after, status: $status) {
    edges { cursor node {
      id number status periodStart periodEnd currency
      subtotal { amount } total { amount formatted } amountDue { amount } amountPaid { amount }
      finalizedAt paidAt stripeInvoiceId
      lineItems { kind description meter { key } used included excess unitPrice rateDescription amount { amount } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function invoicesOf(key: string, variables: Record<string, unknown> = {}) {
  const response = await gql(server.graphqlUrl, INVOICES, { key, variables });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data?.invoices.edges.map((e: { node: unknown }) => e.node);
}

describe('the invoice of a month, by hand from the seeded catalog', () => {
  const march = '2026-03';
  let growth: TestOrganization;
  let scale: TestOrganization;
  let free: TestOrganization;
  let upgraded: TestOrganization;
  let lateStarter: TestOrganization;

  beforeAll(async () => {
    growth = await tenantAt('2026-03-01T00:00:00.000Z', 'growth');
    scale = await tenantAt('2026-03-01T00:00:00.000Z', 'scale');
    free = await tenantAt('2026-03-01T00:00:00.000Z', 'free');
    upgraded = await tenantAt('2026-03-01T00:00:00.000Z', 'starter');
    lateStarter = await tenantAt('2026-03-16T12:00:00.000Z', 'growth');
    clock.set('2026-03-20T00:00:00.000Z');
    const at = (day: string) => `2026-03-${day}T10:00:00.000Z`;
    await recordBatch(server.graphqlUrl, growth.ownerKey, [
      {
        meter: 'api_requests',
        quantity: '1000000',
        idempotencyKey: uniqueKey(),
        occurredAt: at('02'),
      },
      {
        meter: 'api_requests',
        quantity: '250000',
        idempotencyKey: uniqueKey(),
        occurredAt: at('09'),
      },
      { meter: 'storage_gb', quantity: '100', idempotencyKey: uniqueKey(), occurredAt: at('03') },
      { meter: 'storage_gb', quantity: '130', idempotencyKey: uniqueKey(), occurredAt: at('10') },
      { meter: 'storage_gb', quantity: '90', idempotencyKey: uniqueKey(), occurredAt: at('15') },
      { meter: 'bandwidth_gb', quantity: '200', idempotencyKey: uniqueKey(), occurredAt: at('12') },
    ]);
    await record(server.graphqlUrl, scale.ownerKey, {
      meter: 'api_requests',
      quantity: '60000000',
      idempotencyKey: uniqueKey(),
      occurredAt: at('05'),
    });
    await recordBatch(server.graphqlUrl, free.ownerKey, [
      {
        meter: 'api_requests',
        quantity: '10000',
        idempotencyKey: uniqueKey(),
        occurredAt: at('04'),
      },
      { meter: 'storage_gb', quantity: '1', idempotencyKey: uniqueKey(), occurredAt: at('04') },
      { meter: 'bandwidth_gb', quantity: '5', idempotencyKey: uniqueKey(), occurredAt: at('04') },
      { meter: 'seats', quantity: '3', idempotencyKey: uniqueKey(), occurredAt: at('04') },
    ]);
    clock.set('2026-03-16T12:00:00.000Z');
    const change = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "growth") { __typename } }',
      { key: upgraded.ownerKey },
    );
    expect(change.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    // 06:00 on the 1st, inside the 48 h grace window: provisional; its end: final.
    const provisional = await invoiceRun(march, '2026-04-01T06:00:00.000Z');
    expect(provisional).toMatchObject({
      period: march,
      organizations: 5,
      created: 5,
      final: false,
      closesAt: '2026-04-03T00:00:00.000Z',
      failed: [],
    });
    const report = await invoiceRun(march, '2026-04-03T00:00:00.000Z');
    expect(report).toMatchObject({ organizations: 5, created: 5, final: true, failed: [] });
  });

  it('growth: $199.00 + 250,000 × $0.0003 + 30 GB × $0.10 + no bandwidth overage = $277.00', async () => {
    const [invoice] = await invoicesOf(growth.ownerKey);
    expect(invoice).toMatchObject({
      status: 'OPEN',
      number: expect.stringMatching(/^INV-\d{6}$/),
      periodStart: '2026-03-01T00:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      currency: 'usd',
      subtotal: { amount: '27700' },
      total: { amount: '27700', formatted: '$277.00' },
      amountDue: { amount: '27700' },
      amountPaid: { amount: '0' },
      finalizedAt: '2026-04-03T00:00:00.000Z',
      paidAt: null,
      stripeInvoiceId: null,
    });
    expect(invoice.lineItems).toEqual([
      {
        kind: 'BASE',
        description: 'Growth plan, March 2026',
        meter: null,
        used: null,
        included: null,
        excess: null,
        unitPrice: null,
        rateDescription: null,
        amount: { amount: '19900' },
      },
      {
        kind: 'OVERAGE',
        description: 'api_requests: 250,000 requests over the included 1,000,000',
        meter: { key: 'api_requests' },
        used: '1250000',
        included: '1000000',
        excess: '250000',
        unitPrice: '0.0003',
        rateDescription: '$0.0003 per request over 1,000,000',
        amount: { amount: '7500' },
      },
      {
        kind: 'OVERAGE',
        description: 'storage_gb: 30 GB over the included 100',
        meter: { key: 'storage_gb' },
        used: '130',
        included: '100',
        excess: '30',
        unitPrice: '0.1',
        rateDescription: '$0.10 per GB over 100',
        amount: { amount: '300' },
      },
    ]);
  });

  it('scale at 60,000,000 requests: $799.00 + $9,000.00 of graduated overage', async () => {
    const [invoice] = await invoicesOf(scale.ownerKey);
    expect(invoice.total).toEqual({ amount: '979900', formatted: '$9,799.00' });
    expect(
      invoice.lineItems.map((l: { kind: string; amount: { amount: string } }) => [
        l.kind,
        l.amount.amount,
      ]),
    ).toEqual([
      ['BASE', '79900'],
      ['OVERAGE', '900000'],
    ]);
    expect(invoice.lineItems[1].rateDescription).toBe(
      '$0.0002 per request from 10,000,000 to 50,000,000, then $0.0001 per request over 50,000,000',
    );
  });

  it('free at its HARD limits: $0.00, nothing due, so paid when finalized', async () => {
    const [invoice] = await invoicesOf(free.ownerKey);
    expect(invoice).toMatchObject({
      status: 'PAID',
      total: { amount: '0' },
      amountDue: { amount: '0' },
      paidAt: '2026-04-03T00:00:00.000Z',
    });
    expect(invoice.lineItems.map((l: { kind: string }) => l.kind)).toEqual(['BASE']);
  });

  it('a mid-period upgrade carries its proration: $49.00 − $24.50 + $99.50 = $124.00', async () => {
    const [invoice] = await invoicesOf(upgraded.ownerKey);
    expect(
      invoice.lineItems.map(
        (l: { kind: string; description: string; amount: { amount: string } }) => [
          l.kind,
          l.description,
          l.amount.amount,
        ],
      ),
    ).toEqual([
      ['BASE', 'Starter plan, March 2026', '4900'],
      ['PRORATION', 'Unused time on Starter after 2026-03-16 12:00 UTC', '-2450'],
      ['PRORATION', 'Remaining time on Growth after 2026-03-16 12:00 UTC', '9950'],
    ]);
    expect(invoice.total.amount).toBe('12400');
  });

  it('a first partial month bills its base by the second: half of March on growth is $99.50', async () => {
    const [invoice] = await invoicesOf(lateStarter.ownerKey);
    expect(invoice).toMatchObject({
      periodStart: '2026-03-16T12:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      total: { amount: '9950' },
    });
    expect(invoice.lineItems[0].description).toBe(
      'Growth plan, March 2026 from 2026-03-16 (prorated)',
    );
  });

  it('runs again without a second invoice for anyone', async () => {
    const again = await invoiceRun(march, '2026-04-03T07:00:00.000Z');
    expect(again).toMatchObject({ organizations: 0, created: 0 });
    for (const org of [growth, scale, free, upgraded, lateStarter]) {
      expect(await invoicesOf(org.ownerKey)).toHaveLength(1);
    }
  });

  it('closes the month: a late event after the grace window is refused, and changes nothing', async () => {
    clock.set('2026-04-03T08:00:00.000Z');
    const late = await gql(
      server.graphqlUrl,
      `mutation ($input: RecordUsageInput!) { recordUsage(input: $input) { __typename ... on ValidationError { message fieldErrors { path message } } } }`,
      {
        key: growth.ownerKey,
        variables: {
          input: {
            meter: 'api_requests',
            quantity: '5',
            idempotencyKey: uniqueKey(),
            occurredAt: '2026-03-31T12:00:00.000Z',
          },
        },
      },
    );
    const reason =
      'lies in the period 2026-03, closed for usage since 2026-04-03T00:00:00.000Z (48 h after it ended)';
    expect(late.data?.recordUsage).toEqual({
      __typename: 'ValidationError',
      message: `occurredAt: ${reason}`,
      fieldErrors: [{ path: ['occurredAt'], message: reason }],
    });
    const usage = await gql(
      server.graphqlUrl,
      '{ usageHistory(meter: "api_requests", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z", granularity: DAY) { quantity } }',
      { key: growth.ownerKey },
    );
    const total = usage.data?.usageHistory.reduce(
      (sum: number, p: { quantity: string }) => sum + Number(p.quantity),
      0,
    );
    expect(total).toBe(1_250_000);
  });

  it('refuses a month that has not ended, and invoices nothing', async () => {
    await expect(invoiceRun('2026-04', '2026-04-30T23:59:59.999Z')).rejects.toThrow(
      'period: 2026-04 has not ended yet (it ends 2026-05-01T00:00:00.000Z)',
    );
  });
});

describe('the edges of a period', () => {
  it('counts 23:59:59.999 on the last day in the month, and 00:00:00.000 on the 1st in the next', async () => {
    const org = await tenantAt('2026-05-01T00:00:00.000Z', 'starter');
    clock.set('2026-06-01T00:00:01.000Z');
    await recordBatch(server.graphqlUrl, org.ownerKey, [
      {
        meter: 'api_requests',
        quantity: '100000',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-05-10T00:00:00.000Z',
      },
      {
        meter: 'api_requests',
        quantity: '2000',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-05-31T23:59:59.999Z',
      },
      {
        meter: 'api_requests',
        quantity: '3000',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-06-01T00:00:00.000Z',
      },
    ]);
    await invoiceRun('2026-05', '2026-06-01T06:00:00.000Z');
    const [may] = await invoicesOf(org.ownerKey);
    expect(may.lineItems[1]).toMatchObject({
      kind: 'OVERAGE',
      used: '102000',
      excess: '2000',
      amount: { amount: '100' },
    });
    const upcoming = await gql(
      server.graphqlUrl,
      '{ upcomingInvoice { status number periodStart lineItems { kind used } total { amount } } }',
      {
        key: org.ownerKey,
      },
    );
    expect(upcoming.data?.upcomingInvoice).toEqual({
      status: 'DRAFT',
      number: null,
      periodStart: '2026-06-01T00:00:00.000Z',
      lineItems: [{ kind: 'BASE', used: null }],
      total: { amount: '4900' },
    });
    const usage = await gql(server.graphqlUrl, '{ usage(meter: "api_requests") { used } }', {
      key: org.ownerKey,
    });
    expect(usage.data?.usage[0].used).toBe('3000');
  });
});

describe('the grace window after a period', () => {
  it('keeps the invoice a provisional DRAFT that takes late usage, then finalizes it once', async () => {
    const org = await tenantAt('2026-06-01T00:00:00.000Z', 'starter');
    const june = (input: { quantity: string; occurredAt: string }) =>
      record(server.graphqlUrl, org.ownerKey, {
        meter: 'api_requests',
        idempotencyKey: uniqueKey(),
        ...input,
      });
    clock.set('2026-06-20T00:00:00.000Z');
    await june({ quantity: '100000', occurredAt: '2026-06-10T00:00:00.000Z' });

    expect(await invoiceRun('2026-06', '2026-07-01T06:00:00.000Z')).toMatchObject({
      final: false,
      closesAt: '2026-07-03T00:00:00.000Z',
    });
    const [draft] = await invoicesOf(org.ownerKey);
    expect(draft).toMatchObject({
      status: 'DRAFT',
      number: null,
      finalizedAt: null,
      total: { amount: '4900' },
    });

    // Late, inside the window: counted, and in the invoice the next run computes.
    clock.set('2026-07-02T12:00:00.000Z');
    const late = await june({ quantity: '2000', occurredAt: '2026-06-30T23:00:00.000Z' });
    expect(late.__typename).toBe('RecordUsageSuccess');
    await invoiceRun('2026-06', '2026-07-02T13:00:00.000Z');
    const [recomputed] = await invoicesOf(org.ownerKey);
    // $49.00 + 2,000 × $0.0005 = $50.00, still provisional, still the same invoice.
    expect(recomputed).toMatchObject({ id: draft.id, status: 'DRAFT', total: { amount: '5000' } });

    clock.set('2026-07-02T23:59:59.000Z');
    await june({ quantity: '1000', occurredAt: '2026-06-30T23:30:00.000Z' });
    expect(await invoiceRun('2026-06', '2026-07-03T00:00:00.000Z')).toMatchObject({
      final: true,
    });
    const [final] = await invoicesOf(org.ownerKey);
    // $49.00 + 3,000 × $0.0005 = $50.50
    expect(final).toMatchObject({
      id: draft.id,
      status: 'OPEN',
      number: expect.stringMatching(/^INV-\d{6}$/),
      finalizedAt: '2026-07-03T00:00:00.000Z',
      total: { amount: '5050' },
    });
    expect(final.lineItems[1]).toMatchObject({ kind: 'OVERAGE', excess: '3000' });

    clock.set('2026-07-03T00:00:01.000Z');
    const tooLate = await june({ quantity: '7', occurredAt: '2026-06-30T23:45:00.000Z' });
    expect(tooLate.__typename).toBe('ValidationError');
    const again = await invoiceRun('2026-06', '2026-07-04T00:00:00.000Z');
    expect(again).toMatchObject({ created: 0, final: true });
    const [still] = await invoicesOf(org.ownerKey);
    expect(still).toMatchObject({ number: final.number, total: { amount: '5050' } });
  });
});

describe('upcomingInvoice', () => {
  it('is the current month as if it ended now, computed and never stored', async () => {
    const org = await tenantAt('2026-07-01T00:00:00.000Z', 'growth');
    clock.set('2026-07-20T00:00:00.000Z');
    await record(server.graphqlUrl, org.ownerKey, {
      meter: 'bandwidth_gb',
      quantity: '300',
      idempotencyKey: uniqueKey(),
    });
    const viewer = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');
    const upcoming = await gql(
      server.graphqlUrl,
      '{ upcomingInvoice { id status total { amount } lineItems { kind excess amount { amount } } } }',
      { key: viewer },
    );
    expect(upcoming.data?.upcomingInvoice).toMatchObject({
      status: 'DRAFT',
      total: { amount: '20150' },
      lineItems: [
        { kind: 'BASE', excess: null, amount: { amount: '19900' } },
        { kind: 'OVERAGE', excess: '50', amount: { amount: '250' } },
      ],
    });
    expect(await invoicesOf(org.ownerKey)).toEqual([]);
    const byId = await gql(server.graphqlUrl, 'query ($id: ID!) { invoice(id: $id) { id } }', {
      key: org.ownerKey,
      variables: { id: upcoming.data?.upcomingInvoice.id },
    });
    expect(errorCodes(byId)).toEqual(['NOT_FOUND']);
  });
});

describe('reading invoices', () => {
  let a: TestOrganization;
  let b: TestOrganization;
  beforeAll(async () => {
    a = await tenantAt('2026-08-01T00:00:00.000Z', 'starter');
    b = await tenantAt('2026-08-01T00:00:00.000Z', 'starter');
    await invoiceRun('2026-08', '2026-09-03T00:00:00.000Z');
    await invoiceRun('2026-09', '2026-10-03T00:00:00.000Z');
    await invoiceRun('2026-10', '2026-11-03T00:00:00.000Z');
  });

  it('pages newest period first, and filters by status', async () => {
    const first = await gql(server.graphqlUrl, INVOICES, {
      key: a.ownerKey,
      variables: { first: 2 },
    });
    const page = first.data?.invoices;
    expect(page.edges.map((e: { node: { periodStart: string } }) => e.node.periodStart)).toEqual([
      '2026-10-01T00:00:00.000Z',
      '2026-09-01T00:00:00.000Z',
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = await invoicesOf(a.ownerKey, { first: 2, after: page.pageInfo.endCursor });
    expect(rest.map((i: { periodStart: string }) => i.periodStart)).toEqual([
      '2026-08-01T00:00:00.000Z',
    ]);
    expect(await invoicesOf(a.ownerKey, { status: 'PAID' })).toEqual([]);
    expect(await invoicesOf(a.ownerKey, { status: 'OPEN' })).toHaveLength(3);
  });

  it("answers NotFound alike for an unknown id and another organization's invoice", async () => {
    const [theirs] = await invoicesOf(b.ownerKey);
    const query = 'query ($id: ID!) { invoice(id: $id) { id total { amount } } }';
    const other = await gql(server.graphqlUrl, query, {
      key: a.ownerKey,
      variables: { id: theirs.id },
    });
    const unknown = await gql(server.graphqlUrl, query, {
      key: a.ownerKey,
      variables: { id: 'inv_00000000000000000000000000' },
    });
    expect(errorCodes(other)).toEqual(['NOT_FOUND']);
    expect(other.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(other.data?.invoice).toBeNull();
    const own = await gql(server.graphqlUrl, query, {
      key: b.ownerKey,
      variables: { id: theirs.id },
    });
    expect(own.data?.invoice).toEqual({ id: theirs.id, total: { amount: '4900' } });
    const admin = await gql(server.graphqlUrl, query, {
      key: server.adminKey,
      variables: { id: theirs.id },
    });
    expect(admin.data?.invoice.id).toBe(theirs.id);
  });

  it('refuses a page size out of range, and a cursor that is not one', async () => {
    for (const first of [0, 101]) {
      const response = await gql(server.graphqlUrl, INVOICES, {
        key: a.ownerKey,
        variables: { first },
      });
      expect(errorCodes(response), `first: ${first}`).toEqual(['BAD_USER_INPUT']);
    }
    const cursor = await gql(server.graphqlUrl, INVOICES, {
      key: a.ownerKey,
      variables: { after: 'bm9wZQ' },
    });
    expect(errorCodes(cursor)).toEqual(['BAD_USER_INPUT']);
  });

  it('lets INGEST keys read no invoices', async () => {
    const ingest = await createKey(server.graphqlUrl, a.ownerKey, a.id, 'INGEST');
    expect(errorCodes(await gql(server.graphqlUrl, INVOICES, { key: ingest }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(
      errorCodes(await gql(server.graphqlUrl, '{ upcomingInvoice { id } }', { key: ingest })),
    ).toEqual(['FORBIDDEN']);
  });
});

describe('organizations with their subscriptions, usage and invoices', () => {
  const QUERY = `{ organizations(first: 50) { edges { node {
    subscription { plan { key } }
    usage { used }
    invoices(first: 12) { edges { node { lineItems { amount { amount } } } } }
  } } } }`;

  /** The statements one request of the query sends (after a first one warmed the key cache). */
  async function statementsOfQuery() {
    await gql(server.graphqlUrl, QUERY, { key: server.adminKey });
    const database = server.app.database;
    if (!database) throw new Error('server not started');
    const before = database.statementCount();
    const response = await gql(server.graphqlUrl, QUERY, { key: server.adminKey });
    const statements = database.statementCount() - before;
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    const nodes = response.data?.organizations.edges.map(
      (e: { node: { invoices: { edges: { node: { lineItems: unknown[] } }[] } } }) => e.node,
    );
    const lines = nodes.flatMap(
      (n: { invoices: { edges: { node: { lineItems: unknown[] } }[] } }) =>
        n.invoices.edges.flatMap((e) => e.node.lineItems),
    );
    return { statements, organizations: nodes.length, lines: lines.length };
  }

  it('run a constant number of SQL statements, whatever the counts', async () => {
    for (let i = 0; i < 2; i++) await tenantAt('2026-11-01T00:00:00.000Z', 'growth');
    await invoiceRun('2026-11', '2026-12-01T06:00:00.000Z');
    const small = await statementsOfQuery();
    for (let i = 0; i < 20; i++) await tenantAt('2026-12-01T00:00:00.000Z', 'growth');
    await invoiceRun('2026-12', '2027-01-01T06:00:00.000Z');
    await invoiceRun('2027-01', '2027-02-01T06:00:00.000Z');
    const large = await statementsOfQuery();
    expect(large.organizations).toBeGreaterThan(small.organizations + 19);
    expect(large.lines).toBeGreaterThan(small.lines + 39);
    expect(large.statements).toBe(small.statements);
    expect(large.statements).toBeLessThanOrEqual(8);
  });
});

describe('a first partial month, ledger-only: one rule for the base and a plan change', () => {
  // March 2027 has 31 days: 2,678,400 s. From the 16th at 12:00 to April 1st is 1,339,200 s.
  it('mid-month start on growth, upgraded to scale a minute later: what scale alone costs, ±1 minute', async () => {
    const upgraded = await tenantAt('2027-03-16T12:00:00.000Z', 'growth');
    const onScale = await tenantAt('2027-03-16T12:00:00.000Z', 'scale');
    clock.set('2027-03-16T12:01:00.000Z');
    const change = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "scale") { __typename } }',
      { key: upgraded.ownerKey },
    );
    expect(change.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    await invoiceRun('2027-03', '2027-04-03T00:00:00.000Z');
    const [invoice] = await invoicesOf(upgraded.ownerKey);
    expect(invoice.lineItems.map((l: { amount: { amount: string } }) => l.amount.amount)).toEqual([
      // $199.00 × 1,339,200 / 2,678,400 = $99.50
      '9950',
      // −$199.00 × 1,339,140 / 2,678,400 = −$99.4955 → −$99.50
      '-9950',
      // $799.00 × 1,339,140 / 2,678,400 = $399.4821 → $399.48
      '39948',
    ]);
    expect(invoice.total.amount).toBe('39948');
    // $799.00 × 1,339,200 / 2,678,400 = $399.50: two cents apart (the minute on growth).
    const [alone] = await invoicesOf(onScale.ownerKey);
    expect(alone.total.amount).toBe('39950');
  });

  it('mid-month start on scale, downgraded at once to starter on the 20th: never below zero', async () => {
    const downgraded = await tenantAt('2027-03-16T12:00:00.000Z', 'scale');
    clock.set('2027-03-20T00:00:00.000Z');
    const change = await gql(
      server.graphqlUrl,
      'mutation { changePlan(planKey: "starter", timing: IMMEDIATELY) { __typename } }',
      { key: downgraded.ownerKey },
    );
    expect(change.data?.changePlan.__typename).toBe('ChangePlanSuccess');
    await invoiceRun('2027-03', '2027-04-03T00:00:00.000Z');
    const [invoice] = await invoicesOf(downgraded.ownerKey);
    expect(invoice.lineItems.map((l: { amount: { amount: string } }) => l.amount.amount)).toEqual([
      // $799.00 × 1,339,200 / 2,678,400 = $399.50
      '39950',
      // 12 days left of 31: −$799.00 × 1,036,800 / 2,678,400 = −$309.2903 → −$309.29
      '-30929',
      // $49.00 × 1,036,800 / 2,678,400 = $18.9677 → $18.97
      '1897',
    ]);
    // $90.21 for 3.5 days of scale + $18.97 for 12 days of starter = $109.18
    expect(invoice.total.amount).toBe('10918');
  });
});

describe('an organization that cannot be invoiced', () => {
  it('is reported, and every other organization is invoiced', async () => {
    const good = await tenantAt('2027-05-01T00:00:00.000Z', 'starter');
    const broken = await tenantAt('2027-05-01T00:00:00.000Z', 'starter');
    // The database refuses this one organization's invoice, whatever the reason may be.
    await server.db().execute(
      sql.raw(`create function refuse_one_invoice() returns trigger language plpgsql as $$
        begin
          if new.organization_id = '${broken.id}' then raise exception 'disk full for this one'; end if;
          return new;
        end $$`),
    );
    await server.db().execute(
      sql.raw(`create trigger refuse_one_invoice before insert on invoices
        for each row execute function refuse_one_invoice()`),
    );
    try {
      const report = await invoiceRun('2027-05', '2027-06-03T00:00:00.000Z');
      expect(report.failed).toEqual([
        { invoiceId: null, organizationId: broken.id, error: expect.stringContaining('disk full') },
      ]);
      expect(report.created).toBe(report.organizations - 1);
      const [invoice] = await invoicesOf(good.ownerKey);
      expect(invoice).toMatchObject({ status: 'OPEN', total: { amount: '4900' } });
      expect(await invoicesOf(broken.ownerKey)).toEqual([]);
      // The operator sees it; an organization's keys do not.
      const failures = await gql(
        server.graphqlUrl,
        '{ invoiceRunFailures(period: "2027-05") { period organizationId invoiceId error failedAt } }',
        { key: server.adminKey },
      );
      expect(failures.data?.invoiceRunFailures).toEqual([
        {
          period: '2027-05',
          organizationId: broken.id,
          invoiceId: null,
          error: expect.stringContaining('disk full'),
          failedAt: '2027-06-03T00:00:00.000Z',
        },
      ]);
      const asOwner = await gql(server.graphqlUrl, '{ invoiceRunFailures { id } }', {
        key: good.ownerKey,
      });
      expect(errorCodes(asOwner)).toEqual(['FORBIDDEN']);
    } finally {
      await server.db().execute(sql.raw('drop trigger refuse_one_invoice on invoices'));
      await server.db().execute(sql.raw('drop function refuse_one_invoice()'));
    }
  });
});
