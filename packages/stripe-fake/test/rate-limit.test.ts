import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { setup } from './harness.ts';

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
