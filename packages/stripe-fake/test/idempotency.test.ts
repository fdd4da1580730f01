import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, setup } from './harness.ts';

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
