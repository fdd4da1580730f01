import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, DAY, monthlyPrice, setup } from './harness.ts';

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

  it('saves a 500 of an endpoint that began executing: the key replays it, a new key runs', async () => {
    const { fake, stripe } = await setup(2);
    fake.crashNext({ method: 'POST', path: /^\/v1\/customers$/ });
    const crashed = await caught(
      stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'crash-1' }),
    );
    expect(crashed).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(crashed).toMatchObject({ statusCode: 500, rawType: 'api_error' });
    // Saved, so Stripe says a retry is pointless: stripe-node does not retry it.
    expect(crashed.headers['stripe-should-retry']).toBe('false');
    expect(fake.requests.filter((r) => r.path === '/v1/customers')).toMatchObject([
      { status: 500, fault: 'crash', idempotencyKey: 'crash-1' },
    ]);
    expect(fake.state.customers.size).toBe(0);

    const replayed = await caught(
      stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'crash-1' }),
    );
    expect(replayed).toMatchObject({ statusCode: 500, message: crashed.message });
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.requestId).toBe(crashed.requestId);
    expect(fake.state.customers.size).toBe(0);

    const fresh = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'crash-2' },
    );
    expect(fresh.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(fake.state.customers.size).toBe(1);
  });

  it("saves the endpoint's own refusals, not parameters that fail validation", async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const draft = await stripe.invoices.create({ customer: customer.id });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 500,
      currency: 'usd',
    });

    // The endpoint ran and refused (a draft cannot be voided): saved, and replayed even once the
    // invoice could be voided.
    const early = await caught(stripe.invoices.voidInvoice(draft.id, {}, { idempotencyKey: 'v1' }));
    expect(early).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    const replayed = await caught(
      stripe.invoices.voidInvoice(draft.id, {}, { idempotencyKey: 'v1' }),
    );
    expect(replayed).toMatchObject({ statusCode: 400, message: early.message });
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(fake.state.invoices.get(draft.id)?.status).toBe('open');
    const voided = await stripe.invoices.voidInvoice(draft.id, {}, { idempotencyKey: 'v2' });
    expect(voided.status).toBe('void');

    // Refused parameters never reached the endpoint: not saved, the corrected request runs.
    const typo = await caught(
      stripe.customers.create({ emial: 'b@example.com' } as never, { idempotencyKey: 'c1' }),
    );
    expect(typo).toMatchObject({ statusCode: 400, code: 'parameter_unknown' });
    const created = await stripe.customers.create(
      { email: 'b@example.com' },
      { idempotencyKey: 'c1' },
    );
    expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(created.email).toBe('b@example.com');
  });

  it('prunes a key once it is 24 hours old by the fake clock: its reuse runs afresh', async () => {
    const { fake, stripe } = await setup();
    const first = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'd' },
    );
    await fake.advanceTime(DAY - 60);
    const replayed = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'd' },
    );
    expect(replayed.id).toBe(first.id);
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');

    await fake.advanceTime(60);
    const again = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'd' },
    );
    expect(again.id).not.toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(fake.state.customers.size).toBe(2);
    // Pruned with it: other parameters under the old key are no longer a mismatch either.
    await fake.advanceTime(DAY);
    const other = await stripe.customers.create(
      { email: 'b@example.com' },
      { idempotencyKey: 'd' },
    );
    expect(other.email).toBe('b@example.com');
  });

  it('answers 409 idempotency_key_in_use while the first request with the key still executes', async () => {
    const { fake, stripe } = await setup();
    /** Waits (bounded) until the fake has received a request with this key. */
    const received = async (key: string) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        if (fake.requests.some((request) => request.idempotencyKey === key)) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no request with key ${key} arrived`);
    };

    fake.delayNext({ method: 'POST', path: /^\/v1\/customers$/, ms: 400 });
    const first = stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'busy' });
    await received('busy');
    const conflict = await caught(
      stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'busy' }),
    );
    // stripe-node turns every v1 409 into StripeAPIError; the body says what it was.
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(conflict).toMatchObject({
      statusCode: 409,
      rawType: 'idempotency_error',
      code: 'idempotency_key_in_use',
    });
    expect(conflict.message).toBe(
      'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): busy. Please try again later.',
    );
    const created = await first;
    expect(fake.state.customers.size).toBe(1);
    // The 409 was not saved: once the first ended, the key replays its answer.
    const replayed = await stripe.customers.create(
      { email: 'a@example.com' },
      { idempotencyKey: 'busy' },
    );
    expect(replayed.id).toBe(created.id);
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');

    // stripe-node retries a 409 itself (after at least 0.5 s): the retry gets the saved answer.
    const retrying = new Stripe('sk_test_x', { ...fake.clientOptions, maxNetworkRetries: 2 });
    fake.delayNext({ method: 'POST', path: /^\/v1\/customers$/, ms: 200 });
    const slow = retrying.customers.create(
      { email: 'b@example.com' },
      { idempotencyKey: 'busy-2' },
    );
    await received('busy-2');
    const duplicate = await retrying.customers.create(
      { email: 'b@example.com' },
      { idempotencyKey: 'busy-2' },
    );
    expect(duplicate.id).toBe((await slow).id);
    expect(
      fake.requests.filter((request) => request.idempotencyKey === 'busy-2').map((r) => r.status),
    ).toEqual([200, 409, 200]);
    expect(fake.state.customers.size).toBe(2);
  });

  it('gives keys sent on GET and DELETE no effect: neither saved nor replayed', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const draft = await stripe.invoices.create({ customer: customer.id });
    const before = await stripe.invoices.retrieve(draft.id, {}, { idempotencyKey: 'g' });
    expect(before.total).toBe(0);
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 700,
      currency: 'usd',
    });
    const after = await stripe.invoices.retrieve(draft.id, {}, { idempotencyKey: 'g' });
    expect(after.total).toBe(700);
    expect(after.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    // Never saved, so a POST may take the key.
    const other = await stripe.customers.create(
      { email: 'c@example.com' },
      { idempotencyKey: 'g' },
    );
    expect(other.lastResponse.headers['idempotent-replayed']).toBeUndefined();

    const price = await monthlyPrice(stripe, 'Pro', 1000);
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const canceled = await stripe.subscriptions.cancel(
      subscription.id,
      {},
      { idempotencyKey: 'x' },
    );
    expect(canceled.status).toBe('canceled');
    // Run again, not replayed: Stripe answers a canceled subscription as one that does not exist.
    const again = await caught(
      stripe.subscriptions.cancel(subscription.id, {}, { idempotencyKey: 'x' }),
    );
    expect(again).toMatchObject({
      statusCode: 404,
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      message: `No such subscription: '${subscription.id}'`,
    });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const logged = fake.requests.filter((request) => request.method !== 'POST');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((request) => request.idempotencyKey === undefined)).toBe(true);
  });
});
