import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, setup } from './harness.ts';

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
