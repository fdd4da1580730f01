import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarMonthOf, type Period } from '../src/billing/period.ts';
import { queryRows } from '../src/db/raw.ts';
import { createPostgresDatabase, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, gql, sleep, wsClient } from './support/graphql.ts';
import { runCli } from './support/process.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { stripeEnv } from './support/stripe.ts';
import { recordBatch, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * The invoice run against the local Stripe fake: 200 organizations on starter, each 50,000
 * requests over its included 100,000 ($25.00 of overage; the base is the subscription's, billed
 * by Stripe already). Its own Postgres database, so that the CLI runs beside the server.
 */
const ORGANIZATIONS = 200;
let fake: StripeFake;
let storage: ScratchDatabase;

let server: TestServer;
let tenants: TestOrganization[] = [];

const fakeNow = () => new Date(fake.now() * 1000);

beforeAll(async () => {
  fake = await startStripeFake();
  storage = await createPostgresDatabase();
  server = await startTestServer(stripeEnv(fake), storage, {
    now: fakeNow,
  });
  // Provisioning first, without webhooks (the API answers are enough), in parallel lanes.
  const lanes = 10;
  const made: TestOrganization[][] = await Promise.all(
    Array.from({ length: lanes }, async () => {
      const mine: TestOrganization[] = [];
      for (let i = 0; i < ORGANIZATIONS / lanes; i++) {
        mine.push(
          await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' }),
        );
      }
      return mine;
    }),
  );
  tenants = made.flat();
  await waitFor(
    'provisioning',
    async () => {
      const [row] = await queryRows<{ n: number }>(
        server.db(),
        sql`select count(*)::int as n from billing_subscriptions where stripe_subscription_id is not null`,
      );
      return row?.n === ORGANIZATIONS ? true : undefined;
    },
    120_000,
  );
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await fake?.stop();
  await storage?.drop();
});

/** 150,000 requests for every tenant this month (50,000 over starter's 100,000). */
async function recordOverage() {
  for (let i = 0; i < tenants.length; i += 20) {
    await Promise.all(
      tenants
        .slice(i, i + 20)
        .map((t) =>
          recordBatch(server.graphqlUrl, t.ownerKey, [
            { meter: 'api_requests', quantity: '150000', idempotencyKey: uniqueKey() },
          ]),
        ),
    );
  }
}

function cliArgs(month: Period) {
  return [
    'invoice-run',
    '--period',
    month.start.toISOString().slice(0, 7),
    '--as-of',
    // After the month's 48 h grace window, when the run makes the invoices final.
    new Date(month.end.getTime() + 49 * 3_600_000).toISOString(),
    // The fake's month has not ended by the real clock (and --as-of lies ahead of it).
    '--force',
  ];
}

function cliEnv(extra: Record<string, string> = {}) {
  return { ...storage.env, ...stripeEnv(fake), LOG_LEVEL: 'silent', ...extra };
}

async function localInvoices(month: Period) {
  return queryRows<{
    id: string;
    status: string;
    number: string | null;
    stripe_invoice_id: string | null;
    amount_due: string;
  }>(
    server.db(),
    sql`select id, status, number, stripe_invoice_id, amount_due from invoices
        where month_start = ${month.start.toISOString()}::timestamptz order by id`,
  );
}

/** Every Stripe invoice the fake holds for our invoices of the month, and the items on each. */
function stripeSide(invoiceIds: Set<string>) {
  const invoices = [...fake.state.invoices.values()].filter((i) =>
    invoiceIds.has(i.metadata?.invoice_id ?? ''),
  );
  const items = [...fake.state.invoiceItems.values()].filter((item) =>
    invoiceIds.has(item.metadata?.invoice_id ?? ''),
  );
  return { invoices, items };
}

/** 200 invoices here, one Stripe invoice each, finalized, with its one item once. */
async function expectExactlyOnce(month: Period) {
  const local = await localInvoices(month);
  expect(local).toHaveLength(ORGANIZATIONS);
  expect(new Set(local.map((i) => i.status))).toEqual(new Set(['OPEN']));
  expect(new Set(local.map((i) => i.number)).size).toBe(ORGANIZATIONS);
  expect(local.every((i) => Number(i.amount_due) === 2500)).toBe(true);
  const { invoices, items } = stripeSide(new Set(local.map((i) => i.id)));
  expect(invoices).toHaveLength(ORGANIZATIONS);
  expect(new Set(invoices.map((i) => i.metadata.invoice_id)).size).toBe(ORGANIZATIONS);
  expect(invoices.every((i) => i.status === 'open' && i.amount_due === 2500)).toBe(true);
  expect(items).toHaveLength(ORGANIZATIONS);
  expect(new Set(items.map((i) => i.metadata.line_id)).size).toBe(ORGANIZATIONS);
  const byStripeId = new Map(local.map((i) => [i.stripe_invoice_id, i.id]));
  expect(invoices.every((i) => byStripeId.get(i.id) === i.metadata.invoice_id)).toBe(true);
}

describe('the invoice run against Stripe', () => {
  it('killed after 80 invoices and run again: 200 invoices, each in Stripe once with its item once', {
    timeout: 120_000,
  }, async () => {
    const month = calendarMonthOf(fakeNow());
    await recordOverage();
    const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
    // Slowed down to 60 requests a second, so that the kill lands in the middle of the pushes.
    const child = spawn(process.execPath, [main, ...cliArgs(month)], {
      env: { PATH: process.env.PATH ?? '', ...cliEnv({ STRIPE_MAX_REQUESTS_PER_SECOND: '60' }) },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(
      '80 finalized invoices',
      async () => {
        const local = await localInvoices(month);
        return local.filter((i) => i.status !== 'DRAFT').length >= 80 ? true : undefined;
      },
      60_000,
    );
    child.kill('SIGKILL');
    await exited;
    const half = await localInvoices(month);
    expect(half.filter((i) => i.status !== 'DRAFT').length).toBeLessThan(ORGANIZATIONS);

    const again = await runCli(cliArgs(month), cliEnv());
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `0 invoices created, ${ORGANIZATIONS - half.filter((i) => i.status !== 'DRAFT').length} finalized in Stripe`,
    );
    await expectExactlyOnce(month);
  });

  it('with 429s and 500s at random, some after Stripe did the work: the same result', {
    timeout: 120_000,
  }, async () => {
    await fake.advanceTime(32 * 86_400);
    const month = calendarMonthOf(fakeNow());
    await recordOverage();
    fake.failRandomly({ probability: 0.1, statuses: [429, 500], seed: 11 });
    const first = await runCli(cliArgs(month), cliEnv({ STRIPE_MAX_NETWORK_RETRIES: '1' }));
    fake.failRandomly({ probability: 0.1, afterApplying: true, seed: 12 });
    const second = await runCli(cliArgs(month), cliEnv({ STRIPE_MAX_NETWORK_RETRIES: '1' }));
    fake.failRandomly(null);
    const last = await runCli(cliArgs(month), cliEnv());
    expect([first.code, second.code]).toContain(1);
    expect(first.stdout).toContain('not in Stripe yet');
    expect(last.code).toBe(0);
    await expectExactlyOnce(month);
  });

  it("follows Stripe's invoice: paid, failed (PAST_DUE), voided, uncollectible, each heard live", {
    timeout: 60_000,
  }, async () => {
    fake.setWebhookUrl(`${server.url}/webhooks/stripe`);
    const [payer, decliner, voided, written] = tenants as [
      TestOrganization,
      TestOrganization,
      TestOrganization,
      TestOrganization,
    ];
    const viewer = await createKey(server.graphqlUrl, payer.ownerKey, payer.id, 'VIEWER');
    const live = wsClient(server.graphqlUrl, viewer);
    const updates = collect(
      live,
      'subscription { invoiceUpdated { status paidAt amountPaid { amount } } }',
    );
    await sleep(500);
    const invoiceOf = async (org: TestOrganization) => {
      const response = await gql(
        server.graphqlUrl,
        '{ invoices(first: 1) { edges { node { id status stripeInvoiceId paidAt amountPaid { amount } amountDue { amount } hostedInvoiceUrl } } } subscription { status } }',
        { key: org.ownerKey },
      );
      return {
        ...response.data?.invoices.edges[0]?.node,
        subscriptionStatus: response.data?.subscription.status,
      };
    };
    const before = await invoiceOf(payer);
    expect(before).toMatchObject({ status: 'OPEN', amountDue: { amount: '2500' } });
    expect(before.hostedInvoiceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invoices\/in_/);

    const stripe = new Stripe('sk_test_billing_server', {
      ...fake.clientOptions,
      maxNetworkRetries: 0,
    });
    const declinerInvoice = await invoiceOf(decliner);
    fake.setCardDeclined(
      fake.state.invoices.get(declinerInvoice.stripeInvoiceId)?.customer as string,
      true,
    );
    await stripe.invoices.voidInvoice((await invoiceOf(voided)).stripeInvoiceId);
    await stripe.invoices.markUncollectible((await invoiceOf(written)).stripeInvoiceId);
    await fake.collectDueInvoices();
    await fake.webhooks.flush();

    const paid = await waitFor('paid', async () => {
      const invoice = await invoiceOf(payer);
      return invoice.status === 'PAID' ? invoice : undefined;
    });
    expect(paid).toMatchObject({ amountPaid: { amount: '2500' }, paidAt: expect.any(String) });
    const failed = await waitFor('PAST_DUE', async () => {
      const invoice = await invoiceOf(decliner);
      return invoice.subscriptionStatus === 'PAST_DUE' ? invoice : undefined;
    });
    expect(failed.status).toBe('OPEN');
    expect(
      await waitFor('VOID', async () =>
        (await invoiceOf(voided)).status === 'VOID' ? true : undefined,
      ),
    ).toBe(true);
    expect(
      await waitFor('UNCOLLECTIBLE', async () =>
        (await invoiceOf(written)).status === 'UNCOLLECTIBLE' ? true : undefined,
      ),
    ).toBe(true);
    await waitFor('the live PAID', async () =>
      updates.results.some((r) => r.data?.invoiceUpdated.status === 'PAID') ? true : undefined,
    );
    await live.dispose();
    expect(updates.results.at(-1)?.data?.invoiceUpdated).toMatchObject({
      status: 'PAID',
      amountPaid: { amount: '2500' },
    });
  });
});
