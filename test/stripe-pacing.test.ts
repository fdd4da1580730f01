import { STRIPE_RATE_LIMITS, type StripeFake, startStripeFake } from '@graphql-billing/stripe-fake';
import { pino } from 'pino';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { endpointOf } from '../src/stripe/rate-limits.ts';
import { createStripeClient, type StripeConnection } from '../src/stripe/stripe-client.ts';
import { createTestRedis, type TestRedis } from './support/redis.ts';

/**
 * Pacing of Stripe requests against the fake limited as Stripe is (25 a second in test mode, 100
 * in live mode, 25 per endpoint), over real HTTP, with stripe-node retries off so that every 429
 * shows. Two pacers in this process stand for two instances; they share a Redis of the test's
 * own, which the test stops to play an outage.
 */
let fake: StripeFake;
let redis: TestRedis;
const opened: StripeConnection[] = [];
const logLines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });

beforeAll(async () => {
  redis = await createTestRedis();
  await redis.start();
});

// A fake of each test's own: the last second of one test never counts against the next.
beforeEach(async () => {
  fake = await startStripeFake({ rateLimits: STRIPE_RATE_LIMITS });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()));
  await fake.stop();
});

afterAll(async () => {
  await redis?.stop();
});

/** One instance's Stripe client, as the server builds it. */
function instance(env: Record<string, string> = {}, shared = true): Stripe {
  const config = loadConfig({
    STRIPE_SECRET_KEY: 'sk_test_pacing',
    STRIPE_WEBHOOK_SECRET: 'whsec_pacing',
    STRIPE_API_BASE: fake.url,
    STRIPE_MAX_NETWORK_RETRIES: '0',
    ...env,
  });
  const connection = createStripeClient(config.stripe, {
    redisUrl: shared ? redis.url : undefined,
    log,
  });
  if (!connection) throw new Error('no Stripe client');
  opened.push(connection);
  return connection.client;
}

/** `count` requests, 8 in flight (as the invoice run), over two endpoints; answers the failures. */
async function send(client: Stripe, count: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        try {
          if (i % 2 === 0) await client.customers.create({ name: `Pacing ${i}` });
          else await client.products.create({ name: `Pacing ${i}` });
        } catch (error) {
          failures.push(error);
        }
      }
    }),
  );
  return failures;
}

/** Runs `work` and answers how many requests the fake refused meanwhile. */
async function refusedDuring(work: () => Promise<unknown[][]>) {
  const before = fake.rateLimited;
  const failures = (await work()).flat();
  return { refused: fake.rateLimited - before, failures: failures.length };
}

describe('pacing defaults', () => {
  const pacingOf = (env: Record<string, string>) =>
    loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_pacing', ...env }).stripe?.pacing;

  it("follow the key's mode, with headroom, and the settings when given", () => {
    expect(pacingOf({ STRIPE_SECRET_KEY: 'sk_test_a' })).toEqual({
      mode: 'test',
      perSecond: 20,
      perEndpointPerSecond: 20,
    });
    expect(pacingOf({ STRIPE_SECRET_KEY: 'sk_live_a' })).toEqual({
      mode: 'live',
      perSecond: 80,
      perEndpointPerSecond: 20,
    });
    expect(
      pacingOf({ STRIPE_SECRET_KEY: 'rk_live_a', STRIPE_MAX_REQUESTS_PER_SECOND: '50' }),
    ).toEqual({ mode: 'live', perSecond: 50, perEndpointPerSecond: 20 });
    // Above the mode's documented limit: raised limits (or a fake), the endpoint pace follows.
    expect(
      pacingOf({ STRIPE_SECRET_KEY: 'sk_test_a', STRIPE_MAX_REQUESTS_PER_SECOND: '60' }),
    ).toEqual({ mode: 'test', perSecond: 60, perEndpointPerSecond: 60 });
    expect(
      pacingOf({
        STRIPE_SECRET_KEY: 'sk_test_a',
        STRIPE_MAX_REQUESTS_PER_SECOND: '60',
        STRIPE_MAX_REQUESTS_PER_SECOND_PER_ENDPOINT: '15',
      }),
    ).toEqual({ mode: 'test', perSecond: 60, perEndpointPerSecond: 15 });
  });

  it('count every id of an endpoint as one endpoint', () => {
    expect(endpointOf('POST', '/v1/invoices/in_1MtHbELkdIwHu7ix/finalize')).toBe(
      'POST /v1/invoices/{id}/finalize',
    );
    expect(endpointOf('GET', '/v1/invoiceitems?invoice=in_9Z&limit=100')).toBe(
      'GET /v1/invoiceitems',
    );
    expect(endpointOf('POST', '/v1/billing_portal/sessions')).toBe(
      'POST /v1/billing_portal/sessions',
    );
    expect(endpointOf('GET', '/v1/checkout/sessions/cs_test_a1B2')).toBe(
      'GET /v1/checkout/sessions/{id}',
    );
  });
});

describe('two instances against the fake at 25 requests a second (test mode)', () => {
  it('sharing the budget through Redis, stay under it: no 429 at all', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = [instance(), instance()];
    const result = await refusedDuring(() => Promise.all([send(a, 60), send(b, 60)]));
    expect(result).toEqual({ refused: 0, failures: 0 });
  });

  it('pacing each on its own (no Redis), go over it together (the old behaviour)', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = [instance({}, false), instance({}, false)];
    const result = await refusedDuring(() => Promise.all([send(a, 60), send(b, 60)]));
    expect(result.refused).toBeGreaterThan(0);
    expect(result.failures).toBe(result.refused);
  });

  it('go on through a Redis outage, each to its half of the budget, and share again after', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = [instance(), instance()];
    // Redis learns that two instances draw from the budget.
    expect(await refusedDuring(() => Promise.all([send(a, 20), send(b, 20)]))).toEqual({
      refused: 0,
      failures: 0,
    });
    logLines.length = 0;
    await redis.stop();
    const during = await refusedDuring(() => Promise.all([send(a, 40), send(b, 40)]));
    expect(during).toEqual({ refused: 0, failures: 0 });
    expect(logLines.filter((line) => line.includes('Stripe pacing degraded'))).toHaveLength(2);

    // An instance that never reached Redis paces alone, and does not wait for it.
    const lone = instance();
    expect(await send(lone, 6)).toEqual([]);

    await redis.start();
    const deadline = Date.now() + 10_000;
    while (
      Date.now() < deadline &&
      logLines.filter((line) => line.includes('Stripe pacing shared again')).length < 2
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await refusedDuring(() => Promise.all([send(a, 30), send(b, 30)]))).toEqual({
      refused: 0,
      failures: 0,
    });
  });
});

describe('one instance with a live key (100 a second, 25 per endpoint)', () => {
  const live = (env: Record<string, string> = {}) =>
    instance({ STRIPE_SECRET_KEY: 'sk_live_pacing', ...env }, false);

  it('paces each endpoint under its own limit as well as the overall one', {
    timeout: 60_000,
  }, async () => {
    const client = live();
    const result = await refusedDuring(() =>
      Promise.all([sendTo(client, 'customers', 60), sendTo(client, 'products', 60)]),
    );
    expect(result).toEqual({ refused: 0, failures: 0 });
  });

  it('with only the overall pace (80), meets endpoint limits', { timeout: 60_000 }, async () => {
    const client = live({ STRIPE_MAX_REQUESTS_PER_SECOND_PER_ENDPOINT: '80' });
    const result = await refusedDuring(() => Promise.all([sendTo(client, 'customers', 60)]));
    expect(result.refused).toBeGreaterThan(0);
  });
});

/** `count` requests to one endpoint, 8 in flight. */
async function sendTo(
  client: Stripe,
  endpoint: 'customers' | 'products',
  count: number,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        try {
          await client[endpoint].create({ name: `Pacing ${i}` });
        } catch (error) {
          failures.push(error);
        }
      }
    }),
  );
  return failures;
}
