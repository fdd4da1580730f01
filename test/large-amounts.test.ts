import { type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarMonthOf, type Period, parseBillingMonth } from '../src/billing/period.ts';
import { queryRows } from '../src/db/raw.ts';
import { runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { stripeEnv } from './support/stripe.ts';
import { record, testClock, uniqueKey, usageOf } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * Amounts far past a 32-bit integer and a float, end to end. Growth includes 1,000,000 requests
 * and charges $0.0003 for each one more: 40,000,000,000,000,000,000 requests over it cost
 * $12,000,000,000,000,000.00, which is 1,200,000,000,000,000,000 cents (more than 10^18).
 */
const HUGE_QUANTITY = '40000000000001000000';
const HUGE_OVERAGE = '40000000000000000000';
const HUGE_OVERAGE_CENTS = '1200000000000000000';
// $199.00 of base + the overage.
const HUGE_TOTAL_CENTS = '1200000000000019900';
const HUGE_TOTAL = '$12,000,000,000,000,199.00';

async function server(env: Record<string, string>, storage: ScratchDatabase, now: () => Date) {
  return startTestServer(env, storage, { now });
}

function runMonth(target: TestServer, month: Period, now: Date) {
  const services = target.app.services;
  if (!services) throw new Error('server not started');
  return runInvoices(services, target.app.log, { month, now });
}

describe('amounts beyond 32 bits and beyond a float, ledger-only', () => {
  const clock = testClock('2026-03-01T00:00:00.000Z');
  let storage: ScratchDatabase;
  let ledger: TestServer;
  let org: TestOrganization;

  beforeAll(async () => {
    storage = await createIsolatedStorage();
    ledger = await server({ JOBS_ENABLED: 'false' }, storage, clock.now);
    org = await createOrganization(ledger.graphqlUrl, ledger.adminKey, { planKey: 'growth' });
    clock.set('2026-03-16T12:00:00.000Z');
  });
  afterAll(async () => {
    await ledger?.stop();
    await storage?.drop();
  });

  it('records the event and answers its exact cost, usage and upcoming invoice alike', async () => {
    const recorded = await record(ledger.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: HUGE_QUANTITY,
      idempotencyKey: uniqueKey(),
    });
    expect(recorded).toMatchObject({
      __typename: 'RecordUsageSuccess',
      usage: { used: HUGE_QUANTITY, overage: HUGE_OVERAGE },
    });
    expect(await usageOf(ledger.graphqlUrl, org.ownerKey, 'api_requests')).toMatchObject({
      overageCost: {
        amount: HUGE_OVERAGE_CENTS,
        formatted: '$12,000,000,000,000,000.00',
      },
    });
    const upcoming = await gql(
      ledger.graphqlUrl,
      '{ upcomingInvoice { total { amount formatted } lineItems { kind amount { amount } } } }',
      { key: org.ownerKey },
    );
    expect(upcoming.errors).toBeUndefined();
    expect(upcoming.data?.upcomingInvoice).toMatchObject({
      total: { amount: HUGE_TOTAL_CENTS, formatted: HUGE_TOTAL },
      lineItems: [
        { kind: 'BASE', amount: { amount: '19900' } },
        { kind: 'OVERAGE', amount: { amount: HUGE_OVERAGE_CENTS } },
      ],
    });
  });

  it('stores and answers the invoice of the month exactly', async () => {
    const march = parseBillingMonth('2026-03') as Period;
    clock.set('2026-04-03T00:00:00.000Z');
    const report = await runMonth(ledger, march, clock.now());
    expect(report).toMatchObject({ created: 1, failed: [] });
    const invoices = await gql(
      ledger.graphqlUrl,
      '{ invoices(first: 1) { edges { node { total { amount formatted } amountDue { amount } } } } }',
      { key: org.ownerKey },
    );
    expect(invoices.data?.invoices.edges[0].node).toEqual({
      total: { amount: HUGE_TOTAL_CENTS, formatted: HUGE_TOTAL },
      amountDue: { amount: HUGE_TOTAL_CENTS },
    });
  });

  it('refuses, alone and with the reason, an invoice beyond what a bigint column holds', async () => {
    clock.set('2026-04-03T00:00:00.000Z');
    const big = await createOrganization(ledger.graphqlUrl, ledger.adminKey, {
      planKey: 'growth',
    });
    const small = await createOrganization(ledger.graphqlUrl, ledger.adminKey, {
      planKey: 'growth',
    });
    // 10^25 requests × $0.0003 = 3 × 10^23 cents, past 2^63 − 1 ≈ 9.2 × 10^18.
    const recorded = await record(ledger.graphqlUrl, big.ownerKey, {
      meter: 'api_requests',
      quantity: '10000000000000000000000000',
      idempotencyKey: uniqueKey(),
    });
    expect(recorded.__typename).toBe('RecordUsageSuccess');
    const april = parseBillingMonth('2026-04') as Period;
    const report = await runMonth(ledger, april, new Date('2026-05-03T00:00:00.000Z'));
    // The March organization and the small one.
    expect(report.created).toBe(2);
    expect(report.failed).toEqual([
      {
        invoiceId: null,
        organizationId: big.id,
        error: expect.stringContaining('more than an invoice can hold'),
      },
    ]);
    const [row] = await queryRows<{ n: number }>(
      ledger.db(),
      sql`select count(*)::int as n from invoices where organization_id = ${small.id}`,
    );
    expect(row?.n).toBe(1);
  });
});

describe('amounts beyond what Stripe takes', () => {
  let fake: StripeFake;
  let storage: ScratchDatabase;
  let billed: TestServer;

  beforeAll(async () => {
    fake = await startStripeFake();
    storage = await createIsolatedStorage();
    billed = await server(stripeEnv(fake), storage, () => new Date(fake.now() * 1000));
  });
  afterAll(async () => {
    await billed?.stop();
    await fake?.stop();
    await storage?.drop();
  });

  it('keeps the invoice DRAFT and reports amount_too_large instead of sending it', async () => {
    const org = await createOrganization(billed.graphqlUrl, billed.adminKey, {
      planKey: 'growth',
    });
    await waitFor('provisioning', async () => {
      const [row] = await queryRows<{ id: string | null }>(
        billed.db(),
        sql`select stripe_subscription_id as id from billing_subscriptions
            where organization_id = ${org.id}`,
      );
      return row?.id ? true : undefined;
    });
    await record(billed.graphqlUrl, org.ownerKey, {
      meter: 'api_requests',
      quantity: HUGE_QUANTITY,
      idempotencyKey: uniqueKey(),
    });
    const month = calendarMonthOf(new Date(fake.now() * 1000));
    const report = await runMonth(billed, month, new Date(month.end.getTime() + 3 * 86_400_000));
    expect(report.created).toBe(1);
    expect(report.pushed).toBe(0);
    expect(report.failed).toEqual([
      {
        invoiceId: expect.any(String),
        organizationId: org.id,
        error: expect.stringContaining(
          `of ${HUGE_OVERAGE_CENTS} minor units is more than Stripe accepts in one amount (at most 99999999)`,
        ),
      },
    ]);
    expect([...fake.state.invoiceItems.values()]).toEqual([]);
    const [row] = await queryRows<{ status: string }>(
      billed.db(),
      sql`select status from invoices where organization_id = ${org.id}`,
    );
    expect(row?.status).toBe('DRAFT');
  });
});
