import type { StripeFake } from '@graphql-billing/stripe-fake';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBillingMonth } from '../src/billing/period.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import type { TestServer } from './support/server.ts';
import { startStripeServer } from './support/stripe.ts';
import { recordBatch, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * What ADMIN provisioning does with and without a payment method, against a Stripe fake whose
 * customers start with none, as Stripe's do: no card → the invoices are e-mailed
 * (send_invoice, due in STRIPE_INVOICE_DAYS_UNTIL_DUE days) and the subscription is active at
 * once; a card → charged automatically; a card that cannot pay the first invoice → incomplete,
 * then incomplete_expired 23 hours later and the free plan.
 */
let fake: StripeFake;
let server: TestServer;
let stopServer: () => Promise<void>;

const DAY = 86_400;
const HOUR = 3600;

beforeAll(async () => {
  ({
    fake,
    server,
    stop: stopServer,
  } = await startStripeServer({ fake: { customersHavePaymentMethods: false } }));
});
afterAll(() => stopServer?.());
afterEach(() => fake.setNewCustomerPaymentMethod(null));

const SUBSCRIPTION =
  '{ subscription { status plan { key } stripeSubscriptionId currentPeriodEnd } }';

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

/** An ADMIN-made organization on `planKey`, provisioned in Stripe, its webhooks in. */
async function provisioned(planKey: string) {
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey });
  const local = await waitFor('provisioning', async () => {
    const s = await subscriptionOf(org.ownerKey);
    return s?.stripeSubscriptionId ? s : undefined;
  });
  await fake.webhooks.flush();
  const stripeId = local.stripeSubscriptionId as string;
  const stripe = fake.state.subscriptions.get(stripeId);
  if (!stripe) throw new Error(`no Stripe subscription ${stripeId}`);
  return { org, local, stripeId, customerId: stripe.customer };
}

const stripeSubscription = (id: string) => {
  const subscription = fake.state.subscriptions.get(id);
  if (!subscription) throw new Error(`no Stripe subscription ${id}`);
  return subscription;
};
const invoicesOf = (customerId: string) =>
  [...fake.state.invoices.values()].filter((invoice) => invoice.customer === customerId);
const latestInvoice = (id: string) => {
  const invoice = fake.state.invoices.get(stripeSubscription(id).latest_invoice ?? '');
  if (!invoice) throw new Error(`Stripe subscription ${id} has no invoice`);
  return invoice;
};

async function changePlan(key: string, planKey: string) {
  const response = await gql(
    server.graphqlUrl,
    'mutation ($p: String!) { changePlan(planKey: $p, timing: IMMEDIATELY) { __typename ... on BillingProviderError { code message } } }',
    { key, variables: { p: planKey } },
  );
  return response.data?.changePlan;
}

describe('provisioning a customer without a payment method', () => {
  it('subscribes with send_invoice: ACTIVE at once, the invoice e-mailed, due in 30 days and never charged', {
    timeout: 60_000,
  }, async () => {
    const { org, local, stripeId, customerId } = await provisioned('growth');
    expect(local).toMatchObject({ status: 'ACTIVE', plan: { key: 'growth' } });
    expect(stripeSubscription(stripeId)).toMatchObject({
      status: 'active',
      collection_method: 'send_invoice',
      days_until_due: 30,
    });
    const invoice = latestInvoice(stripeId);
    const finalizedAt = invoice.status_transitions.finalized_at as number;
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_create',
      collection_method: 'send_invoice',
      status: 'open',
      attempt_count: 0,
      due_date: finalizedAt + 30 * DAY,
    });
    expect(invoice.amount_due).toBeGreaterThan(0);
    expect(invoice.hosted_invoice_url).toMatch(/\/invoices\/in_/);

    // Automatic collection leaves it alone: no charge, no failed payment, no dunning.
    await fake.advanceTime(2 * HOUR);
    expect(await fake.collectDueInvoices()).toEqual([]);
    await fake.webhooks.flush();
    expect(fake.state.invoices.get(invoice.id)).toMatchObject({ status: 'open', attempt_count: 0 });
    expect(
      fake.events.filter(
        (event) =>
          event.type === 'invoice.payment_failed' &&
          (event.data.object as { customer?: string }).customer === customerId,
      ),
    ).toEqual([]);
    expect((await subscriptionOf(org.ownerKey)).status).toBe('ACTIVE');

    // The customer pays on Stripe's hosted page.
    await fake.payInvoiceOnHostedPage(invoice.id);
    await fake.webhooks.flush();
    expect(fake.state.invoices.get(invoice.id)?.status).toBe('paid');
    expect(await until(org.ownerKey, 'still active', (s) => s.status === 'ACTIVE')).toMatchObject({
      plan: { key: 'growth' },
    });
  });

  it('makes the organization PAST_DUE when an e-mailed invoice is overdue, ACTIVE again once it is paid', {
    timeout: 60_000,
  }, async () => {
    const { org, stripeId } = await provisioned('starter');
    const first = latestInvoice(stripeId);
    const due = first.due_date as number;
    await fake.advanceTime(due - 60 - fake.now());
    await fake.webhooks.flush();
    expect((await subscriptionOf(org.ownerKey)).status).toBe('ACTIVE');

    await fake.advanceTime(120);
    expect(stripeSubscription(stripeId).status).toBe('past_due');
    await until(org.ownerKey, 'past due', (s) => s.status === 'PAST_DUE');

    await fake.payInvoiceOnHostedPage(first.id);
    expect(stripeSubscription(stripeId).status).toBe('active');
    expect(await until(org.ownerKey, 'paid', (s) => s.status === 'ACTIVE')).toMatchObject({
      plan: { key: 'starter' },
    });
  });

  it('upgrades a send_invoice subscription at once: the proration is invoiced by e-mail, not charged', {
    timeout: 60_000,
  }, async () => {
    const { org, stripeId, customerId } = await provisioned('starter');
    await fake.advanceTime(3 * DAY);
    expect(await changePlan(org.ownerKey, 'growth')).toEqual({ __typename: 'ChangePlanSuccess' });
    expect(stripeSubscription(stripeId).items.data[0]?.price.lookup_key).toBe('growth_v1_month');
    const proration = latestInvoice(stripeId);
    expect(proration).toMatchObject({
      billing_reason: 'subscription_update',
      collection_method: 'send_invoice',
      status: 'open',
      attempt_count: 0,
      due_date: (proration.status_transitions.finalized_at as number) + 30 * DAY,
    });
    expect(proration.amount_due).toBeGreaterThan(0);
    expect(invoicesOf(customerId).every((invoice) => invoice.attempt_count === 0)).toBe(true);
    expect(await until(org.ownerKey, 'the upgrade', (s) => s.plan.key === 'growth')).toMatchObject({
      status: 'ACTIVE',
    });
  });
});

describe('provisioning a customer with a payment method', () => {
  it('charges its card automatically', { timeout: 60_000 }, async () => {
    fake.setNewCustomerPaymentMethod({});
    const { local, stripeId, customerId } = await provisioned('growth');
    expect(fake.state.customers.get(customerId)?.invoice_settings.default_payment_method).toMatch(
      /^pm_/,
    );
    expect(local).toMatchObject({ status: 'ACTIVE', plan: { key: 'growth' } });
    expect(stripeSubscription(stripeId)).toMatchObject({
      status: 'active',
      collection_method: 'charge_automatically',
      days_until_due: null,
    });
    const invoice = latestInvoice(stripeId);
    expect(invoice).toMatchObject({ status: 'paid', attempt_count: 1, due_date: null });
    expect(invoice.amount_paid).toBeGreaterThan(0);
  });

  it('leaves a subscription whose first payment fails INCOMPLETE; 23 hours later Stripe expires it and the organization is on the free plan', {
    timeout: 60_000,
  }, async () => {
    fake.setNewCustomerPaymentMethod({ declines: true });
    const { org, local, stripeId, customerId } = await provisioned('growth');
    expect(stripeSubscription(stripeId)).toMatchObject({
      status: 'incomplete',
      collection_method: 'charge_automatically',
    });
    expect(local.plan.key).toBe('growth');
    const first = latestInvoice(stripeId);
    expect(first).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(await until(org.ownerKey, 'incomplete', (s) => s.status === 'INCOMPLETE')).toMatchObject(
      { plan: { key: 'growth' } },
    );

    await fake.advanceTime(23 * HOUR - 60);
    await fake.webhooks.flush();
    expect(stripeSubscription(stripeId).status).toBe('incomplete');
    expect((await subscriptionOf(org.ownerKey)).status).toBe('INCOMPLETE');

    await fake.advanceTime(120);
    expect(stripeSubscription(stripeId)).toMatchObject({ status: 'incomplete_expired' });
    expect(fake.state.invoices.get(first.id)?.status).toBe('void');
    const free = await until(org.ownerKey, 'the free plan', (s) => s.plan.key === 'free');
    expect(free).toMatchObject({ status: 'ACTIVE', stripeSubscriptionId: null });

    // Stripe bills nothing more for it.
    await fake.advanceTime(40 * DAY);
    expect(invoicesOf(customerId).map((invoice) => invoice.id)).toEqual([first.id]);
  });

  it('refuses an immediate upgrade the card cannot pay with a typed error, changing nothing here or in Stripe', {
    timeout: 60_000,
  }, async () => {
    fake.setNewCustomerPaymentMethod({});
    const { org, stripeId, customerId } = await provisioned('starter');
    await fake.advanceTime(2 * DAY);
    await fake.webhooks.flush();
    const before = structuredClone(stripeSubscription(stripeId));
    const invoicesBefore = invoicesOf(customerId).length;
    const eventsBefore = fake.events.length;

    fake.setCardDeclined(customerId, true);
    expect(await changePlan(org.ownerKey, 'scale')).toMatchObject({
      __typename: 'BillingProviderError',
      code: 'card_declined',
    });

    // The card removed (no payment method at all): refused too, before anything is made.
    fake.setCardDeclined(customerId, false);
    await fake.detachPaymentMethod(customerId);
    const noCard = await changePlan(org.ownerKey, 'scale');
    expect(noCard).toMatchObject({ __typename: 'BillingProviderError', code: 'resource_missing' });
    expect(noCard.message).toMatch(/no attached payment source or default payment method/);

    expect(stripeSubscription(stripeId)).toEqual(before);
    expect(invoicesOf(customerId)).toHaveLength(invoicesBefore);
    expect(
      [...fake.state.invoiceItems.values()].filter(
        (item) => item.customer === customerId && item.invoice === null,
      ),
    ).toEqual([]);
    expect(fake.events.slice(eventsBefore).map((event) => event.type)).toEqual([
      'customer.updated',
    ]);
    await fake.webhooks.flush();
    expect(await subscriptionOf(org.ownerKey)).toMatchObject({
      status: 'ACTIVE',
      plan: { key: 'starter' },
    });
  });
});

describe('STRIPE_INVOICE_DAYS_UNTIL_DUE', () => {
  const stripe = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_test_x' };

  it('is 30 days unless set, between 1 and 365', () => {
    expect(loadConfig(stripe).stripe?.invoiceDaysUntilDue).toBe(30);
    expect(
      loadConfig({ ...stripe, STRIPE_INVOICE_DAYS_UNTIL_DUE: '14' }).stripe?.invoiceDaysUntilDue,
    ).toBe(14);
    for (const bad of ['0', '366', 'soon']) {
      expect(() => loadConfig({ ...stripe, STRIPE_INVOICE_DAYS_UNTIL_DUE: bad })).toThrow(
        ConfigError,
      );
    }
  });
});

describe("the month's usage invoice", () => {
  /**
   * 150,000 requests on starter (100,000 included): $25.00 of overage, invoiced by the run for
   * that month once its grace window is over. Answers the Stripe invoice made for it.
   */
  async function usageInvoice(org: { ownerKey: string }, stripeId: string) {
    const month = parseBillingMonth(new Date(fake.now() * 1000).toISOString().slice(0, 7));
    if (!month) throw new Error('no month');
    await recordBatch(server.graphqlUrl, org.ownerKey, [
      { meter: 'api_requests', quantity: '150000', idempotencyKey: uniqueKey() },
    ]);
    // Past the month's end and its 48-hour grace window, when the run makes invoices final.
    await fake.advanceTime(month.end.getTime() / 1000 - fake.now() + 49 * HOUR);
    await fake.webhooks.flush();
    const services = server.app.services;
    if (!services) throw new Error('server not started');
    await runInvoices(services, server.app.log, { month, now: new Date(fake.now() * 1000) });
    const customerId = stripeSubscription(stripeId).customer;
    const invoice = invoicesOf(customerId).find((i) => i.billing_reason === 'manual');
    if (!invoice) throw new Error('no usage invoice in Stripe');
    return invoice;
  }

  it('is e-mailed with the same terms when the subscription is, never charged', {
    timeout: 60_000,
  }, async () => {
    const { org, stripeId } = await provisioned('starter');
    const invoice = await usageInvoice(org, stripeId);
    const finalizedAt = invoice.status_transitions.finalized_at as number;
    expect(invoice).toMatchObject({
      amount_due: 2500,
      collection_method: 'send_invoice',
      due_date: finalizedAt + 30 * DAY,
      status: 'open',
      attempt_count: 0,
    });
    await fake.advanceTime(2 * HOUR);
    await fake.collectDueInvoices();
    await fake.webhooks.flush();
    expect(fake.state.invoices.get(invoice.id)?.attempt_count).toBe(0);
  });

  it("is charged to the card Checkout saved on the subscription (not the customer's default)", {
    timeout: 60_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: null });
    const checkout = await gql(
      server.graphqlUrl,
      'mutation { createCheckoutSession(planKey: "starter", successUrl: "https://app.example/ok", cancelUrl: "https://app.example/no") { ... on CheckoutSessionSuccess { session { id } } } }',
      { key: org.ownerKey },
    );
    const { subscriptionId } = await fake.completeCheckoutSession(
      checkout.data?.createCheckoutSession.session.id,
    );
    await until(org.ownerKey, 'the trial', (s) => s.stripeSubscriptionId === subscriptionId);
    const customerId = stripeSubscription(subscriptionId).customer;
    expect(
      fake.state.customers.get(customerId)?.invoice_settings.default_payment_method,
    ).toBeNull();
    const card = stripeSubscription(subscriptionId).default_payment_method;
    expect(card).not.toBeNull();

    const invoice = await usageInvoice(org, subscriptionId);
    expect(invoice).toMatchObject({
      amount_due: 2500,
      collection_method: 'charge_automatically',
      default_payment_method: card,
    });
    await fake.advanceTime(2 * HOUR);
    await fake.collectDueInvoices();
    await fake.webhooks.flush();
    expect(fake.state.invoices.get(invoice.id)?.status).toBe('paid');
  });
});
