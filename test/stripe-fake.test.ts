import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { shift } from './stripe-fake/calendar.ts';
import { parseForm } from './stripe-fake/form.ts';
import { type StripeFake, type StripeFakeOptions, startStripeFake } from './stripe-fake/index.ts';
import { prorate } from './stripe-fake/money.ts';

/** The local Stripe fake, driven through stripe-node over real HTTP. */
const DAY = 86_400;
const running: StripeFake[] = [];
const receivers: Server[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.stop()));
  await Promise.all(
    receivers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

async function setup(maxNetworkRetries = 0, options: StripeFakeOptions = {}) {
  const fake = await startStripeFake(options);
  running.push(fake);
  const stripe = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries });
  return { fake, stripe };
}

/** A product with a monthly price. */
async function monthlyPrice(stripe: Stripe, name: string, unitAmount: number, lookupKey?: string) {
  const product = await stripe.products.create({ name });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
    ...(lookupKey ? { lookup_key: lookupKey } : {}),
  });
}

async function caught(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

interface Received {
  body: string;
  signature: string;
}

/** A webhook receiver on a free port, recording raw bodies and signatures. */
async function startReceiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receivers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, received };
}

describe('stripe fake: building blocks', () => {
  it('parses stripe-node form encoding into nested objects and arrays', () => {
    expect(
      parseForm(
        'items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3&metadata[a]=b&lookup_keys[0]=k',
      ),
    ).toEqual({
      items: [{ price: 'p1' }, { price: 'p2', quantity: '3' }],
      metadata: { a: 'b' },
      lookup_keys: ['k'],
    });
  });

  it('keeps the anchor day across short months and rounds halves away from zero', () => {
    const jan31 = Date.UTC(2026, 0, 31, 12) / 1000;
    const month = { interval: 'month' as const, interval_count: 1 };
    expect(new Date(shift(jan31, month, 1) * 1000).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(new Date(shift(jan31, month, 2) * 1000).toISOString()).toBe('2026-03-31T12:00:00.000Z');
    expect(prorate(5, 1, 2)).toBe(3);
    expect(prorate(-5, 1, 2)).toBe(-3);
    expect(prorate(4900, 1, 3)).toBe(1633);
  });
});

describe('stripe fake: catalog and errors', () => {
  it('creates products and prices and finds prices by lookup key', async () => {
    const { fake, stripe } = await setup();
    const product = await stripe.products.create({ id: 'prod_pro', name: 'Pro' });
    expect(product).toMatchObject({ id: 'prod_pro', object: 'product', livemode: false });
    const price = await stripe.prices.create({
      product: 'prod_pro',
      currency: 'usd',
      unit_amount: 4900,
      recurring: { interval: 'month' },
      lookup_key: 'pro_monthly',
    });
    expect(price).toMatchObject({
      object: 'price',
      product: 'prod_pro',
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
    });
    await monthlyPrice(stripe, 'Other', 100, 'other');

    const list = await stripe.prices.list({ lookup_keys: ['pro_monthly'] });
    expect(list.object).toBe('list');
    expect(list.data.map((entry) => entry.id)).toEqual([price.id]);
    expect(fake.events.map((event) => event.type)).toContain('price.created');

    const taken = await caught(
      stripe.prices.create({
        product: 'prod_pro',
        currency: 'usd',
        unit_amount: 1,
        lookup_key: 'pro_monthly',
      }),
    );
    expect(taken).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const moved = await stripe.prices.create({
      product: 'prod_pro',
      currency: 'usd',
      unit_amount: 5900,
      recurring: { interval: 'month' },
      lookup_key: 'pro_monthly',
      transfer_lookup_key: true,
    });
    const after = await stripe.prices.list({ lookup_keys: ['pro_monthly'] });
    expect(after.data.map((entry) => entry.id)).toEqual([moved.id]);

    const duplicate = await caught(stripe.products.create({ id: 'prod_pro', name: 'Again' }));
    expect(duplicate.code).toBe('resource_already_exists');
  });

  it('rejects unknown parameters, naming them', async () => {
    const { stripe } = await setup();
    const error = await caught(stripe.customers.create({ nmae: 'typo' } as any));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ code: 'parameter_unknown', param: 'nmae', statusCode: 400 });
    expect(error.message).toBe('Received unknown parameter: nmae');

    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const nested = await caught(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id, foo: 1 } as any],
      }),
    );
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'items[0][foo]' });
    const missing = await caught(
      stripe.subscriptions.create({ items: [{ price: price.id }] } as any),
    );
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'customer' });
  });

  it('answers unknown ids with resource_missing', async () => {
    const { stripe } = await setup();
    const error = await caught(stripe.customers.retrieve('cus_nope'));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ code: 'resource_missing', statusCode: 404 });
    expect(error.message).toBe("No such customer: 'cus_nope'");
  });

  it('requires an API key and 404s endpoints it does not implement', async () => {
    const { fake, stripe } = await setup();
    const basic = await fetch(`${fake.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('sk_test_x:').toString('base64')}` },
      body: new URLSearchParams({ email: 'curl@example.com' }),
    });
    expect(basic.status).toBe(200);
    const unauthenticated = await fetch(`${fake.url}/v1/customers/cus_x`);
    expect(unauthenticated.status).toBe(401);
    expect((await unauthenticated.json()).error.type).toBe('authentication_error');
    const wrongKey = new Stripe('nope', { ...fake.clientOptions, maxNetworkRetries: 0 });
    expect(await caught(wrongKey.customers.create({}))).toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    const unknown = await caught(stripe.coupons.create({ percent_off: 10 }));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown.statusCode).toBe(404);
  });
});

describe('stripe fake: idempotency and failure injection', () => {
  it('replays a repeated idempotency key and rejects it with other parameters', async () => {
    const { fake, stripe } = await setup();
    const first = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'k1' },
    );
    const again = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'k1' },
    );
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(fake.state.customers.size).toBe(1);
    expect(fake.events.filter((event) => event.type === 'customer.created')).toHaveLength(1);

    const error = await caught(
      stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'k1' }),
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error.message).toMatch(
      /^Keys for idempotent requests can only be used with the same parameters/,
    );
  });

  it('answers 429 without acting; stripe-node retries with the same key and creates one object', async () => {
    const { fake, stripe } = await setup(2);
    fake.failNext({
      method: 'POST',
      path: /^\/v1\/customers$/,
      status: 429,
      retryAfterSeconds: 0,
      times: 2,
    });
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    expect(fake.state.customers.size).toBe(1);
    const attempts = fake.requests.filter((request) => request.path === '/v1/customers');
    expect(attempts.map((request) => request.status)).toEqual([429, 429, 200]);
    expect(new Set(attempts.map((request) => request.idempotencyKey)).size).toBe(1);
    expect(customer.id).toMatch(/^cus_/);

    const noRetry = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries: 0 });
    fake.failNext({ status: 429, retryAfterSeconds: 1 });
    const limited = await caught(noRetry.customers.create({}));
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited.headers['retry-after']).toBe('1');
  });

  it('answers 500 without acting; the retry creates exactly one object', async () => {
    const { fake, stripe } = await setup(2);
    const product = await stripe.products.create({ name: 'Pro' });
    fake.failNext({ path: /^\/v1\/prices$/, status: 500 });
    await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
    expect(fake.state.prices.size).toBe(1);
    expect(fake.requests.filter((r) => r.path === '/v1/prices').map((r) => r.status)).toEqual([
      500, 200,
    ]);

    const noRetry = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries: 0 });
    fake.failNext({ status: 500 });
    expect(await caught(noRetry.products.retrieve(product.id))).toBeInstanceOf(
      Stripe.errors.StripeAPIError,
    );
  });

  it('drops a connection without acting; the retry creates exactly one object', async () => {
    const { fake, stripe } = await setup(2);
    fake.dropNext({ method: 'POST', path: /^\/v1\/customers$/ });
    await stripe.customers.create({ email: 'a@example.com' });
    expect(fake.state.customers.size).toBe(1);
    const attempts = fake.requests.filter((request) => request.path === '/v1/customers');
    expect(attempts.map((request) => request.status)).toEqual([0, 200]);
    expect(attempts[0]?.idempotencyKey).toBe(attempts[1]?.idempotencyKey);
  });
});

describe('stripe fake: subscriptions and invoices', () => {
  it('bills the stub period up to a billing_cycle_anchor, prorated, and pays it', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    // An anchor ~10 days out on a day every month has, so "one month before" is unambiguous.
    const soon = new Date((fake.now() + 10 * DAY) * 1000);
    const anchorDate =
      soon.getUTCDate() <= 28
        ? soon
        : new Date(Date.UTC(soon.getUTCFullYear(), soon.getUTCMonth() + 1, 1));
    const anchor = Math.floor(anchorDate.getTime() / 1000);
    const monthBefore =
      Date.UTC(
        anchorDate.getUTCFullYear(),
        anchorDate.getUTCMonth() - 1,
        anchorDate.getUTCDate(),
        anchorDate.getUTCHours(),
        anchorDate.getUTCMinutes(),
        anchorDate.getUTCSeconds(),
      ) / 1000;

    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      billing_cycle_anchor: anchor,
      expand: ['latest_invoice'],
    });
    const start = subscription.start_date;
    expect(subscription.status).toBe('active');
    expect(subscription.billing_cycle_anchor).toBe(anchor);
    expect(subscription.items.data[0]).toMatchObject({
      object: 'subscription_item',
      current_period_start: start,
      current_period_end: anchor,
      quantity: 1,
    });
    const expected = Number(
      (4900n * BigInt(anchor - start) * 2n + BigInt(anchor - monthBefore)) /
        (2n * BigInt(anchor - monthBefore)),
    );
    const invoice = subscription.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'paid',
      billing_reason: 'subscription_create',
      amount_due: expected,
      amount_paid: expected,
      amount_remaining: 0,
      attempt_count: 1,
      parent: { subscription_details: { subscription: subscription.id } },
    });
    expect(invoice.lines.data[0]).toMatchObject({
      amount: expected,
      period: { start, end: anchor },
    });
    expect(invoice.number).toMatch(/^FAKE-\d{4}$/);
    expect(invoice.hosted_invoice_url).toBe(`${fake.url}/invoices/${invoice.id}`);
    expect(invoice.status_transitions.paid_at).toBe(start);
    expect(fake.events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'customer.subscription.created',
        'invoice.created',
        'invoice.finalized',
        'invoice.paid',
      ]),
    );
  });

  it('fails paying a declined customer’s invoice with a card error', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 1500,
      currency: 'usd',
      description: 'Setup',
    });
    const draft = await stripe.invoices.create({ customer: customer.id });
    expect(draft).toMatchObject({ status: 'draft', total: 1500 });
    const open = await stripe.invoices.finalizeInvoice(draft.id);
    expect(open).toMatchObject({ status: 'open', amount_due: 1500, amount_remaining: 1500 });

    fake.setCardDeclined(customer.id, true);
    const error = await caught(stripe.invoices.pay(open.id));
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
      statusCode: 402,
    });
    const failed = await stripe.invoices.retrieve(open.id);
    expect(failed).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(fake.events.at(-1)?.type).toBe('invoice.payment_failed');

    fake.setCardDeclined(customer.id, false);
    const paid = await stripe.invoices.pay(open.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 1500, attempt_count: 2 });
    const voidable = await stripe.invoices.finalizeInvoice(
      (
        await stripe.invoices.create({
          customer: customer.id,
          pending_invoice_items_behavior: 'exclude',
        })
      ).id,
    );
    expect(voidable.status).toBe('paid'); // nothing pending: a $0 invoice is paid on finalization
  });

  it('prorates an upgrade at proration_date to the cent', async () => {
    const { fake, stripe } = await setup();
    const starter = await monthlyPrice(stripe, 'Starter', 4900);
    const pro = await monthlyPrice(stripe, 'Pro', 19900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: starter.id }],
    });
    const item = firstItem(subscription);
    const { current_period_start: start, current_period_end: end } = item;
    const half = start + (end - start) / 2; // calendar periods are whole days: an even count of seconds

    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'create_prorations',
      proration_date: half,
    });
    expect(updated.items.data[0]).toMatchObject({
      price: { id: pro.id },
      current_period_start: start,
      current_period_end: end,
    });
    const pending = await Promise.all(
      pendingItemIds(fake, customer.id).map((id) => stripe.invoiceItems.retrieve(id)),
    );
    expect(pending.map((entry) => entry.amount).sort((a, b) => a - b)).toEqual([-2450, 9950]);
    for (const entry of pending) {
      expect(entry).toMatchObject({ proration: true, period: { start: half, end }, invoice: null });
    }
    expect(pending.map((entry) => entry.description)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Unused time on Starter after /),
        expect.stringMatching(/^Remaining time on Pro after /),
      ]),
    );
  });

  it('bills prorations at once with always_invoice', async () => {
    const { fake, stripe } = await setup();
    const starter = await monthlyPrice(stripe, 'Starter', 4900);
    const pro = await monthlyPrice(stripe, 'Pro', 19900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: starter.id }],
    });
    const item = firstItem(subscription);
    const half =
      item.current_period_start + (item.current_period_end - item.current_period_start) / 2;
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      proration_date: half,
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_update',
      total: 7500,
      amount_paid: 7500,
    });
    expect(invoice.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([
      -2450, 9950,
    ]);
    expect(pendingItemIds(fake, customer.id)).toEqual([]);
  });

  it('renews at period end with a new invoice including pending items', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const end = firstItem(subscription).current_period_end;
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 300,
      currency: 'usd',
      description: 'Overage',
    });

    await fake.advanceToPeriodEnd(subscription.id);
    // The fake clock keeps ticking with real time after the jump.
    expect(fake.now() - (end + 1)).toBeLessThanOrEqual(1);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice.customer'],
    });
    const nextEnd = shift(end, { interval: 'month', interval_count: 1 }, 1);
    expect(renewed.items.data[0]).toMatchObject({
      current_period_start: end,
      current_period_end: nextEnd,
    });
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      total: 5200,
      created: end,
      customer: { id: customer.id, email: 'a@example.com' },
    });
    expect(invoice.lines.data[0]).toMatchObject({
      amount: 4900,
      period: { start: end, end: nextEnd },
    });
    const invoices = await stripe.invoices.list({ subscription: subscription.id });
    expect(invoices.data).toHaveLength(2);
  });

  it('goes past_due on a declined renewal and recovers on a successful retry', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    fake.setCardDeclined(customer.id, true);
    await fake.advanceToPeriodEnd(subscription.id);
    const pastDue = await stripe.subscriptions.retrieve(subscription.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(fake.events.map((event) => event.type)).toContain('invoice.payment_failed');

    fake.setCardDeclined(customer.id, false);
    await fake.retryInvoicePayment(invoice.id);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
  });

  it('cancels at period end when asked to', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const end = firstItem(subscription).current_period_end;
    const canceling = await stripe.subscriptions.update(subscription.id, {
      cancel_at_period_end: true,
    });
    expect(canceling).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: end,
    });
    const updated = fake.events.at(-1);
    expect(updated?.type).toBe('customer.subscription.updated');
    expect(updated?.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });

    await fake.advanceToPeriodEnd(subscription.id);
    const canceled = await stripe.subscriptions.retrieve(subscription.id);
    expect(canceled).toMatchObject({ status: 'canceled', ended_at: end });
    expect(fake.events.at(-1)?.type).toBe('customer.subscription.deleted');
    expect((await stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);

    const other = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const deleted = await stripe.subscriptions.cancel(other.id);
    expect(deleted.status).toBe('canceled');
    expect(deleted.canceled_at).toBe(deleted.ended_at);
    expect(fake.events.at(-1)).toMatchObject({
      type: 'customer.subscription.deleted',
      data: { object: { id: other.id, status: 'canceled' } },
    });
  });

  it('completes a checkout session into a 14-day trial that converts to paid', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'new@example.com',
      client_reference_id: 'org_1',
      line_items: [{ price: price.id, quantity: 1 }],
      subscription_data: { trial_period_days: 14, metadata: { org: 'org_1' } },
      success_url: 'https://app.example/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example/cancel',
    });
    expect(session).toMatchObject({
      status: 'open',
      subscription: null,
      url: `${fake.url}/checkout/${session.id}`,
    });
    expect(session.id).toMatch(/^cs_test_/);

    const { subscriptionId } = await fake.completeCheckoutSession(session.id);
    const completed = await stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({ status: 'complete', subscription: subscriptionId });
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    const trialEnd = subscription.start_date + 14 * DAY;
    expect(subscription).toMatchObject({
      status: 'trialing',
      customer: completed.customer,
      trial_end: trialEnd,
      metadata: { org: 'org_1' },
    });
    expect(subscription.items.data[0]?.current_period_end).toBe(trialEnd);
    const types = fake.events.map((event) => event.type);
    expect(types.at(-1)).toBe('checkout.session.completed');
    expect(types).toEqual(
      expect.arrayContaining(['customer.created', 'customer.subscription.created']),
    );

    await fake.advanceTime(12 * DAY);
    expect(
      fake.events.filter((event) => event.type === 'customer.subscription.trial_will_end'),
    ).toHaveLength(1);
    await fake.advanceToPeriodEnd(subscriptionId);
    const active = await stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(active.status).toBe('active');
    expect(active.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 4900 });
    expect(active.items.data[0]?.current_period_start).toBe(trialEnd);
    expect(
      fake.events.filter((event) => event.type === 'customer.subscription.trial_will_end'),
    ).toHaveLength(1);
  });

  it('creates billing portal sessions', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({});
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://app.example',
    });
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id });
    expect(portal.url).toBe(`${fake.url}/portal/${portal.id}`);
  });
});

describe('stripe fake: webhooks', () => {
  it('delivers signed events in order, after the response', async () => {
    const { fake, stripe } = await setup();
    const { url, received } = await startReceiver();
    fake.setWebhookUrl(url);
    const customer = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'hook-1' },
    );
    await monthlyPrice(stripe, 'Pro', 4900);
    await fake.webhooks.flush();

    const events = received.map(({ body, signature }) =>
      stripe.webhooks.constructEvent(body, signature, fake.webhookSecret),
    );
    expect(events.map((event) => event.type)).toEqual([
      'customer.created',
      'product.created',
      'price.created',
    ]);
    expect(events[0]).toMatchObject({
      object: 'event',
      api_version: '2026-10-28.endive',
      livemode: false,
      data: { object: { id: customer.id } },
      request: { idempotency_key: 'hook-1' },
    });
    expect(fake.webhooks.deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200]);
    expect(() =>
      stripe.webhooks.constructEvent(
        String(received[0]?.body),
        String(received[0]?.signature),
        'whsec_wrong',
      ),
    ).toThrow();
  });

  it('duplicates deliveries on request', async () => {
    const { fake, stripe } = await setup();
    const { url, received } = await startReceiver();
    fake.setWebhookUrl(url);
    fake.webhooks.duplicate(3);
    fake.webhooks.delay(5);
    await stripe.customers.create({});
    await stripe.products.create({ name: 'Pro' });
    await fake.webhooks.flush();
    const ids = received.map(({ body }) => JSON.parse(body).id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(2);
    expect(ids.slice(0, 3).every((id) => id === ids[0])).toBe(true);
  });

  it('holds events and releases them in reverse', async () => {
    const { fake, stripe } = await setup();
    const { url, received } = await startReceiver();
    fake.setWebhookUrl(url);
    fake.webhooks.hold();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({});
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await fake.webhooks.flush();
    expect(received).toHaveLength(0);

    await fake.webhooks.release('reverse');
    const types = received.map(({ body }) => JSON.parse(body).type);
    expect(types).toEqual(fake.events.map((event) => event.type).reverse());
    expect(types.at(-1)).toBe('product.created');
  });

  it('records unreachable receivers without retrying', async () => {
    const { fake, stripe } = await setup();
    fake.setWebhookUrl('http://127.0.0.1:1/unreachable');
    await stripe.customers.create({});
    await fake.webhooks.flush();
    expect(fake.webhooks.deliveries).toEqual([
      { eventId: fake.events[0]?.id, type: 'customer.created', status: null },
    ]);
  });
});

describe('stripe fake: invoice items and manual invoices', () => {
  it('lists invoice items newest first, filtered and paginated both ways', async () => {
    const { stripe } = await setup();
    const alice = await stripe.customers.create({ email: 'a@example.com' });
    const bob = await stripe.customers.create({ email: 'b@example.com' });
    const item = (customer: string, amount: number) =>
      stripe.invoiceItems.create({ customer, amount, currency: 'usd' });
    const a1 = await item(alice.id, 100);
    const a2 = await item(alice.id, 200);
    const draft = await stripe.invoices.create({ customer: alice.id });
    const a3 = await item(alice.id, 300);
    const a4 = await item(alice.id, 400);
    const b1 = await item(bob.id, 500);
    const ids = (list: { data: { id: string }[] }) => list.data.map((entry) => entry.id);

    expect(ids(await stripe.invoiceItems.list())).toEqual([b1.id, a4.id, a3.id, a2.id, a1.id]);
    expect(ids(await stripe.invoiceItems.list({ customer: alice.id }))).toEqual([
      a4.id,
      a3.id,
      a2.id,
      a1.id,
    ]);
    expect(ids(await stripe.invoiceItems.list({ invoice: draft.id }))).toEqual([a2.id, a1.id]);
    expect(ids(await stripe.invoiceItems.list({ customer: alice.id, pending: true }))).toEqual([
      a4.id,
      a3.id,
    ]);
    expect(ids(await stripe.invoiceItems.list({ pending: false }))).toEqual([a2.id, a1.id]);

    const first = await stripe.invoiceItems.list({ customer: alice.id, limit: 2 });
    expect(first).toMatchObject({ object: 'list', url: '/v1/invoiceitems', has_more: true });
    expect(ids(first)).toEqual([a4.id, a3.id]);
    const second = await stripe.invoiceItems.list({
      customer: alice.id,
      limit: 2,
      starting_after: a3.id,
    });
    expect(ids(second)).toEqual([a2.id, a1.id]);
    expect(second.has_more).toBe(false);
    const back = await stripe.invoiceItems.list({
      customer: alice.id,
      limit: 1,
      ending_before: a2.id,
    });
    expect(ids(back)).toEqual([a3.id]);
    expect(back.has_more).toBe(true);
    const top = await stripe.invoiceItems.list({ customer: alice.id, ending_before: a3.id });
    expect(ids(top)).toEqual([a4.id]);
    expect(top.has_more).toBe(false);
    const all = await stripe.invoiceItems.list({ limit: 1 }).autoPagingToArray({ limit: 100 });
    expect(all.map((entry) => entry.id)).toEqual([b1.id, a4.id, a3.id, a2.id, a1.id]);

    expect(await stripe.invoiceItems.list({ limit: 10 })).toMatchObject({ has_more: false });
    const unknown = await caught(stripe.invoiceItems.list({ subscription: 'sub_x' } as any));
    expect(unknown).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'subscription',
    });
    expect(await caught(stripe.invoiceItems.list({ limit: 101 }))).toMatchObject({
      statusCode: 400,
      param: 'limit',
    });
    expect(
      await caught(stripe.invoiceItems.list({ starting_after: a1.id, ending_before: a4.id })),
    ).toMatchObject({ statusCode: 400, code: 'parameters_exclusive' });
  });

  it('builds a draft from explicit items only, finalizes it and lists it', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const pending = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 999,
      currency: 'usd',
      description: 'Not for this invoice',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      currency: 'usd',
      pending_invoice_items_behavior: 'exclude',
      auto_advance: false,
      collection_method: 'charge_automatically',
      description: 'Plan change',
      metadata: { change: 'chg_1' },
    });
    expect(draft).toMatchObject({
      status: 'draft',
      currency: 'usd',
      total: 0,
      auto_advance: false,
      description: 'Plan change',
      metadata: { change: 'chg_1' },
      hosted_invoice_url: null,
    });
    expect(draft.lines.data).toEqual([]);

    const charge = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 5000,
      currency: 'usd',
      description: 'Pro, remaining time',
      metadata: { kind: 'charge' },
    });
    const credit = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: -1500,
      currency: 'usd',
      description: 'Starter, unused time',
      metadata: { kind: 'credit' },
    });
    expect(charge).toMatchObject({ invoice: draft.id, metadata: { kind: 'charge' } });
    expect(credit).toMatchObject({ invoice: draft.id, amount: -1500 });
    const wrongCurrency = await caught(
      stripe.invoiceItems.create({
        customer: customer.id,
        invoice: draft.id,
        amount: 1,
        currency: 'eur',
      }),
    );
    expect(wrongCurrency).toMatchObject({ statusCode: 400, param: 'currency' });

    const open = await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: true });
    expect(open).toMatchObject({
      status: 'open',
      auto_advance: true,
      subtotal: 3500,
      total: 3500,
      amount_due: 3500,
      amount_remaining: 3500,
      attempted: false,
      attempt_count: 0,
      hosted_invoice_url: `${fake.url}/invoices/${draft.id}`,
      metadata: { change: 'chg_1' },
    });
    expect(open.number).toMatch(/^FAKE-\d{4}$/);
    expect(open.lines.data.map((line) => line.amount)).toEqual([5000, -1500]);
    expect(open.lines.data.map((line) => line.parent?.invoice_item_details?.invoice_item)).toEqual([
      charge.id,
      credit.id,
    ]);
    const finalized = fake.events.filter((event) => event.type === 'invoice.finalized');
    expect(finalized).toHaveLength(1);
    expect(finalized[0]?.data.object).toMatchObject({ id: draft.id, status: 'open', total: 3500 });

    expect((await stripe.invoiceItems.retrieve(pending.id)).invoice).toBeNull();
    const listed = await stripe.invoices.list({ customer: customer.id });
    expect(listed.data.map((invoice) => invoice.id)).toEqual([draft.id]);
    expect(listed.data[0]?.metadata).toEqual({ change: 'chg_1' });
    expect((await stripe.invoices.retrieve(draft.id)).metadata).toEqual({ change: 'chg_1' });
  });
});

describe('stripe fake: automatic collection', () => {
  /** An open invoice of `amount`, finalized with auto_advance (charged an hour later). */
  async function autoInvoice(stripe: Stripe, customer: string, amount: number) {
    const draft = await stripe.invoices.create({
      customer,
      pending_invoice_items_behavior: 'exclude',
      auto_advance: true,
    });
    await stripe.invoiceItems.create({ customer, invoice: draft.id, amount, currency: 'usd' });
    return stripe.invoices.finalizeInvoice(draft.id);
  }

  it('charges an auto-advancing invoice an hour after finalization, at that moment', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const open = await autoInvoice(stripe, customer.id, 2000);
    const finalizedAt = open.status_transitions.finalized_at ?? 0;
    expect(open).toMatchObject({
      status: 'open',
      attempted: false,
      attempt_count: 0,
      next_payment_attempt: finalizedAt + 3600,
    });
    const manual = await stripe.invoices.finalizeInvoice(
      (
        await stripe.invoices.create({
          customer: customer.id,
          pending_invoice_items_behavior: 'exclude',
          auto_advance: false,
        })
      ).id,
    );
    expect(manual.status).toBe('paid'); // $0: paid on finalization
    const sent = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      auto_advance: true,
    });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: sent.id,
      amount: 700,
      currency: 'usd',
    });
    await stripe.invoices.finalizeInvoice(sent.id);

    await fake.advanceTime(1800);
    expect((await stripe.invoices.retrieve(open.id)).status).toBe('open');
    await fake.advanceTime(1800);
    const paid = await stripe.invoices.retrieve(open.id);
    expect(paid).toMatchObject({
      status: 'paid',
      attempted: true,
      attempt_count: 1,
      amount_paid: 2000,
      next_payment_attempt: null,
      status_transitions: { paid_at: finalizedAt + 3600 },
    });
    const types = fake.events
      .filter((event) => event.data.object.id === open.id)
      .map((event) => event.type);
    expect(types.slice(-2)).toEqual(['invoice.paid', 'invoice.payment_succeeded']);
    expect((await stripe.invoices.retrieve(sent.id)).status).toBe('open');
    expect(await fake.collectDueInvoices()).toEqual([]);
  });

  it('collects on demand, records a declined attempt once and never charges twice', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const declined = await stripe.customers.create({ email: 'd@example.com' });
    fake.setCardDeclined(declined.id, true);
    const good = await autoInvoice(stripe, customer.id, 1200);
    const bad = await autoInvoice(stripe, declined.id, 3400);

    const attempted = await fake.collectDueInvoices();
    expect(attempted.sort()).toEqual([good.id, bad.id].sort());
    expect(await stripe.invoices.retrieve(good.id)).toMatchObject({
      status: 'paid',
      attempt_count: 1,
    });
    expect(await stripe.invoices.retrieve(bad.id)).toMatchObject({
      status: 'open',
      attempted: true,
      attempt_count: 1,
    });
    expect(
      fake.events.filter(
        (event) => event.type === 'invoice.payment_failed' && event.data.object.id === bad.id,
      ),
    ).toHaveLength(1);
    expect(await fake.collectDueInvoices()).toEqual([]);

    // Two hours on: nothing already attempted is charged again, the subscription's first
    // invoice (charged on creation) included.
    await fake.advanceTime(2 * 3600);
    expect(await stripe.invoices.retrieve(bad.id)).toMatchObject({ attempt_count: 1 });
    const first = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(first).toMatchObject({ status: 'paid', attempt_count: 1 });
    expect(fake.events.filter((event) => event.type === 'invoice.paid')).toHaveLength(2);
  });
});

describe('stripe fake: rate limiting', () => {
  it('answers 429 over the limit, changing nothing and keeping keys unused', async () => {
    const { fake, stripe } = await setup(0, { rateLimitPerSecond: 3 });
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((index) =>
        stripe.customers.create({ email: `${index}@example.com` }, { idempotencyKey: `k${index}` }),
      ),
    );
    const refused = results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ index, error: result.reason }] : [],
    );
    expect(refused).toHaveLength(2);
    for (const { error } of refused) {
      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
      expect(error.headers['stripe-should-retry']).toBe('true');
    }
    expect(fake.state.customers.size).toBe(3);
    expect(fake.rateLimited).toBe(2);
    expect(fake.requests.map((request) => request.status).sort()).toEqual([
      200, 200, 200, 429, 429,
    ]);
    expect(fake.requests.filter((request) => request.fault === 'rate_limit')).toHaveLength(2);

    // The shape on the wire, as live Stripe sends it; hosted pages are not API requests.
    fake.setRateLimit(0);
    const raw = await fetch(`${fake.url}/v1/customers`, {
      headers: { authorization: 'Bearer sk_test_x' },
    });
    expect(raw.status).toBe(429);
    expect((await raw.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'rate_limit',
    });
    expect((await fetch(`${fake.url}/invoices/in_missing`)).status).toBe(404);
    expect(fake.rateLimited).toBe(3);
    expect(fake.requests).toHaveLength(6);

    fake.setRateLimit(null);
    for (const { index } of refused) {
      const created = await stripe.customers.create(
        { email: `${index}@example.com` },
        { idempotencyKey: `k${index}` },
      );
      expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(fake.state.customers.size).toBe(5);
  });

  it('lets stripe-node retries get through once the window moves on', async () => {
    const { fake, stripe } = await setup(5);
    fake.setRateLimit(2);
    const created = await Promise.all(
      [0, 1, 2, 3].map((index) => stripe.customers.create({ email: `${index}@example.com` })),
    );
    expect(new Set(created.map((customer) => customer.id)).size).toBe(4);
    expect(fake.state.customers.size).toBe(4);
    expect(fake.rateLimited).toBeGreaterThanOrEqual(2);
    expect(fake.requests.filter((request) => request.status === 200)).toHaveLength(4);
  });
});

describe('stripe fake: random failures', () => {
  /** Creates customers one by one with keys c0.., returning each answer's status. */
  async function createMany(stripe: Stripe, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let index = 0; index < count; index++) {
      try {
        await stripe.customers.create(
          { email: `${index}@example.com` },
          { idempotencyKey: `c${index}` },
        );
        statuses.push(200);
      } catch (error) {
        statuses.push((error as { statusCode: number }).statusCode);
      }
    }
    return statuses;
  }

  it('fails matching requests at random, reproducibly, without acting or using keys', async () => {
    const { fake, stripe } = await setup();
    fake.failRandomly({ probability: 0.5, method: 'POST', path: /^\/v1\/customers$/, seed: 7 });
    const statuses = await createMany(stripe, 30);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses).toContain(500);
    const ok = statuses.filter((status) => status === 200).length;
    expect(fake.state.customers.size).toBe(ok);
    expect(fake.events.filter((event) => event.type === 'customer.created')).toHaveLength(ok);
    await stripe.products.create({ name: 'Unaffected' });

    const limited = fake.requests.find((request) => request.status === 429);
    expect(limited?.fault).toBe('fail');

    const again = await setup();
    again.fake.failRandomly({ probability: 0.5, path: /^\/v1\/customers$/, seed: 7 });
    expect(await createMany(again.stripe, 30)).toEqual(statuses);

    fake.failRandomly(null);
    for (const [index, status] of statuses.entries()) {
      if (status === 200) continue;
      const created = await stripe.customers.create(
        { email: `${index}@example.com` },
        { idempotencyKey: `c${index}` },
      );
      expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(fake.state.customers.size).toBe(30);
  });

  it('sends retryable 429s (Retry-After 0) and 500s that stripe-node retries through', async () => {
    const { fake, stripe } = await setup(10);
    fake.failRandomly({ probability: 0.4, statuses: [429], seed: 3 });
    const noRetry = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries: 0 });
    let limited: any;
    while (!limited) {
      limited = await noRetry.customers
        .retrieve('cus_missing')
        .then(() => null)
        .catch((error) => (error.statusCode === 429 ? error : null));
    }
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited.headers).toMatchObject({ 'retry-after': '0', 'stripe-should-retry': 'true' });

    fake.failRandomly({ probability: 0.4, seed: 3 });
    const customers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((index) => stripe.customers.create({ email: `${index}@x.com` })),
    );
    expect(fake.state.customers.size).toBe(6);
    expect(new Set(customers.map((customer) => customer.id)).size).toBe(6);
    expect(fake.requests.some((request) => request.fault === 'fail')).toBe(true);
  });

  it('with afterApplying acts but answers 500; the retry replays the real answer', async () => {
    const { fake, stripe } = await setup();
    fake.failRandomly({ probability: 1, afterApplying: true, path: /^\/v1\/customers$/ });
    const lost = await caught(
      stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'lost-1' }),
    );
    expect(lost).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(lost.statusCode).toBe(500);
    expect(lost.headers['stripe-should-retry']).toBe('true');
    expect(fake.state.customers.size).toBe(1);
    expect(fake.events.map((event) => event.type)).toEqual(['customer.created']);
    expect(fake.requests.at(-1)).toMatchObject({ status: 500, fault: 'lose' });

    fake.failRandomly(null);
    const retried = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'lost-1' },
    );
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(retried.id).toBe([...fake.state.customers.keys()][0]);
    expect(fake.state.customers.size).toBe(1);
    expect(fake.events).toHaveLength(1);
  });
});

function firstItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem {
  const item = subscription.items.data[0];
  if (!item) throw new Error(`${subscription.id} has no items`);
  return item;
}

/** Ids of the customer's invoice items not yet on an invoice. */
function pendingItemIds(fake: StripeFake, customer: string): string[] {
  return [...fake.state.invoiceItems.values()]
    .filter((item) => item.customer === customer && item.invoice === null)
    .map((item) => item.id);
}
