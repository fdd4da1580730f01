import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { STRIPE_RATE_LIMITS } from '../src/index.ts';
import { caught, monthlyPrice, setup } from './harness.ts';

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

describe("stripe fake: Stripe's own limits (rateLimits)", () => {
  const reasons = (results: PromiseSettledResult<unknown>[]) =>
    results.flatMap((result) =>
      result.status === 'rejected'
        ? [(result.reason as Stripe.errors.StripeError).headers?.['stripe-rate-limited-reason']]
        : [],
    );

  it('are off unless asked for', async () => {
    const { fake, stripe } = await setup();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => stripe.customers.create({ email: `${i}@x.test` })),
    );
    expect(fake.rateLimited).toBe(0);
  });

  it('limit a test key to 25 a second overall, and a live key to 25 per endpoint of its 100', async () => {
    const { fake, stripe } = await setup(0, { rateLimits: STRIPE_RATE_LIMITS });
    const live = new Stripe('sk_live_x', { ...fake.clientOptions, maxNetworkRetries: 0 });

    const testMode = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => stripe.customers.create({ email: `t${i}@x.test` })),
    );
    expect(reasons(testMode)).toEqual(Array(5).fill('global-rate'));

    // Live mode has its own budget: the test key's requests do not count against it.
    const customers = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => live.customers.create({ email: `l${i}@x.test` })),
    );
    expect(reasons(customers)).toEqual(Array(5).fill('endpoint-rate'));
    // Another endpoint in the same second: under 100 overall, under 25 for it.
    const products = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => live.products.create({ name: `P${i}` })),
    );
    expect(reasons(products)).toEqual([]);
    expect(fake.state.customers.size).toBe(50);
    expect(fake.rateLimited).toBe(10);
  });

  it('count every id of an endpoint together, and take figures of their own per endpoint', async () => {
    const { fake, stripe } = await setup(0, {
      rateLimits: { endpoints: { 'GET /v1/customers/{id}': 2 } },
    });
    const made = await Promise.all(
      [0, 1, 2].map((i) => stripe.customers.create({ email: `${i}@x.test` })),
    );
    const read = await Promise.allSettled(made.map((c) => stripe.customers.retrieve(c.id)));
    expect(reasons(read)).toEqual(['endpoint-rate']);
    expect(fake.rateLimited).toBe(1);
  });

  it('limit the new invoices of one subscription, its first included, and do nothing when refused', async () => {
    const { fake, stripe } = await setup(0, { rateLimits: { subscriptionInvoicesPerMinute: 2 } });
    const price = await monthlyPrice(stripe, 'Starter', 4900);
    const customer = await stripe.customers.create({ email: 'a@x.test' });
    const subscribe = () =>
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const one = await subscribe();
    const other = await subscribe();
    const invoice = (subscription: string) =>
      stripe.invoices.create({ customer: customer.id, subscription });
    await invoice(one.id);
    const before = fake.state.invoices.size;
    const refused = await caught(invoice(one.id));
    expect(refused).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(refused.headers['stripe-rate-limited-reason']).toBe('resource-specific');
    expect(refused.headers['stripe-should-retry']).toBe('true');
    expect(fake.state.invoices.size).toBe(before);
    // Other subscriptions, and invoices of no subscription, are not held back.
    await invoice(other.id);
    await stripe.invoices.create({ customer: customer.id });
    expect(fake.rateLimited).toBe(1);

    fake.setRateLimits({ subscriptionInvoicesPerDay: 3 });
    await invoice(other.id);
    expect((await caught(invoice(other.id))).headers['stripe-rate-limited-reason']).toBe(
      'resource-specific',
    );
  });

  it('answer as Stripe does on the wire, and refuse figures below zero', async () => {
    const { fake } = await setup(0, { rateLimits: { live: 0 } });
    const post = (key: string) =>
      fetch(`${fake.url}/v1/customers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'email=a%40x.test',
      });
    const raw = await post('sk_live_x');
    expect(raw.status).toBe(429);
    expect(raw.headers.get('stripe-should-retry')).toBe('true');
    expect(raw.headers.get('stripe-rate-limited-reason')).toBe('global-rate');
    expect((await raw.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'rate_limit',
    });
    // A test key is not limited by the live figure.
    expect((await post('sk_test_x')).status).toBe(200);
    expect(() => fake.setRateLimits({ perEndpoint: -1 })).toThrow(/≥ 0 or null/);
    fake.setRateLimits(null);
    expect((await post('sk_live_x')).status).toBe(200);
    expect(fake.rateLimited).toBe(1);
  });
});
