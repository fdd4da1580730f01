import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY, monthlyPrice, setup, startReceiver } from './harness.ts';

interface Heard {
  id: string;
  type: string;
  apiVersion: string;
  /** Date.now() when the request arrived. */
  at: number;
}

const scripted: Server[] = [];
afterEach(async () => {
  await Promise.all(
    scripted.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/**
 * A webhook receiver whose answer to the n-th delivery of an event (n from 1) is `answer(n)`:
 * a status, optionally after a wait.
 */
async function scriptedReceiver(
  answer: (nth: number, event: Heard) => { status: number; waitMs?: number },
) {
  const heard: Heard[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const event = JSON.parse(body);
      const one = { id: event.id, type: event.type, apiVersion: event.api_version, at: Date.now() };
      heard.push(one);
      const { status, waitMs = 0 } = answer(heard.filter((h) => h.id === event.id).length, one);
      setTimeout(() => res.writeHead(status).end(), waitMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scripted.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, heard };
}

/** Seconds after the first attempt at which Stripe-like retries go out: 5 min doubling, 3 days last. */
const RETRY_OFFSETS = [0, 300, 900, 2_100, 4_500, 9_300, 18_900, 38_100, 76_500, 153_300, 3 * DAY];

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
    const at = fake.webhooks.deliveries[0]?.at;
    await fake.advanceTime(4 * DAY);
    await fake.webhooks.flush();
    expect(fake.webhooks.deliveries).toEqual([
      {
        eventId: fake.events[0]?.id,
        type: 'customer.created',
        status: null,
        attempt: 1,
        at,
        apiVersion: '2026-10-28.endive',
      },
    ]);
    expect(fake.webhooks.pendingRetries()).toEqual([]);
  });

  it('delivers a request’s events before its answer with beforeResponse', async () => {
    const { fake, stripe } = await setup();
    // The receiver takes 300 ms to answer: the API call cannot return before that.
    const { url, heard } = await scriptedReceiver(() => ({ status: 200, waitMs: 300 }));
    fake.setWebhookUrl(url);
    fake.webhooks.beforeResponse();
    const started = Date.now();
    const customer = await stripe.customers.create({ email: 'early@example.com' });
    const answered = Date.now();
    expect(heard.map((h) => h.type)).toEqual(['customer.created']);
    expect(heard[0]?.at).toBeLessThan(answered);
    expect(answered - started).toBeGreaterThanOrEqual(290);
    expect(fake.webhooks.deliveries.map((d) => [d.eventId, d.status])).toEqual([
      [fake.events[0]?.id, 200],
    ]);
    expect(fake.events[0]?.data.object).toMatchObject({ id: customer.id });

    // With a lag: the answer of a request that made events comes lagMs after their delivery;
    // one that made none is not held.
    fake.webhooks.beforeResponse(true, 400);
    const lagged = Date.now();
    await stripe.products.create({ name: 'Lagged' });
    expect(Date.now() - lagged).toBeGreaterThanOrEqual(690);
    const quick = Date.now();
    await stripe.customers.retrieve(customer.id);
    expect(Date.now() - quick).toBeLessThan(250);
    expect(heard).toHaveLength(2);

    // Off again: the answer is written first and does not wait for the receiver.
    fake.webhooks.beforeResponse(false);
    const again = Date.now();
    await stripe.customers.create({});
    expect(Date.now() - again).toBeLessThan(250);
    await fake.webhooks.flush();
    expect(heard).toHaveLength(3);
  });

  it('shuffles each batch in a seeded order, the same on every run, copies interleaved', async () => {
    const orders: string[][] = [];
    for (const seed of [7, 7]) {
      const { fake, stripe } = await setup();
      const { url, heard } = await scriptedReceiver(() => ({ status: 200 }));
      const price = await monthlyPrice(stripe, 'Pro', 4900);
      const customer = await stripe.customers.create({});
      fake.setWebhookUrl(url);
      fake.webhooks.shuffle(seed);
      fake.webhooks.duplicate(2);
      const before = fake.events.length;
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      await fake.webhooks.flush();
      const produced = fake.events.slice(before).map((e) => e.type);
      expect(produced.length).toBeGreaterThanOrEqual(4);
      const types = heard.map((h) => h.type);
      expect([...types].sort()).toEqual([...produced, ...produced].sort());
      // Not the order produced (each event twice in a row) ...
      expect(types).not.toEqual(produced.flatMap((type) => [type, type]));
      // ... and copies of one event are not all adjacent.
      const ids = heard.map((h) => h.id);
      expect(ids.some((id, i) => i > 0 && ids[i - 1] !== id && ids.indexOf(id) < i - 1)).toBe(true);
      orders.push(types);
    }
    expect(orders[1]).toEqual(orders[0]);
  });

  it('retries a failed delivery when the fake clock reaches its next attempt, 5 min then doubling', async () => {
    const { fake, stripe } = await setup();
    // 500, then 400 (Stripe retries any non-2xx), then 200.
    const { url, heard } = await scriptedReceiver((nth) => ({
      status: nth === 1 ? 500 : nth === 2 ? 400 : 200,
    }));
    fake.setWebhookUrl(url);
    fake.webhooks.retry();
    await stripe.customers.create({});
    await fake.webhooks.flush();
    const [first] = fake.webhooks.deliveries;
    expect(first).toMatchObject({ status: 500, attempt: 1 });
    const eventId = fake.events[0]?.id;
    expect(fake.webhooks.pendingRetries()).toEqual([
      { eventId, type: 'customer.created', attempt: 2, dueAt: (first?.at ?? 0) + 300 },
    ]);

    await fake.advanceTime((first?.at ?? 0) + 299 - fake.now());
    await fake.webhooks.flush();
    expect(heard).toHaveLength(1);
    await fake.advanceTime(1);
    await fake.webhooks.flush();
    expect(heard).toHaveLength(2);
    expect(fake.webhooks.pendingRetries()).toEqual([
      { eventId, type: 'customer.created', attempt: 3, dueAt: (first?.at ?? 0) + 900 },
    ]);
    await fake.advanceTime(600);
    await fake.webhooks.flush();
    expect(
      fake.webhooks.deliveries.map((d) => [d.attempt, d.status, d.at - (first?.at ?? 0)]),
    ).toEqual([
      [1, 500, 0],
      [2, 400, 300],
      [3, 200, 900],
    ]);
    expect(new Set(heard.map((h) => h.id))).toEqual(new Set([eventId]));
    expect(fake.webhooks.pendingRetries()).toEqual([]);
  });

  it('keeps retrying an unreachable endpoint for three days of the fake clock, then gives up', async () => {
    const { fake, stripe } = await setup();
    fake.setWebhookUrl('http://127.0.0.1:1/unreachable');
    fake.webhooks.retry();
    await stripe.customers.create({});
    await fake.webhooks.flush();
    const first = fake.webhooks.deliveries[0]?.at ?? 0;
    // One jump over the three days: every attempt due on the way is made, each at its time.
    await fake.advanceTime(5 * DAY);
    await fake.webhooks.flush();
    expect(fake.webhooks.deliveries.map((d) => [d.attempt, d.status, d.at - first])).toEqual(
      RETRY_OFFSETS.map((offset, i) => [i + 1, null, offset]),
    );
    expect(fake.webhooks.pendingRetries()).toEqual([]);
  });

  it('stops retrying once an endpoint that came back answers 2xx', async () => {
    const { fake, stripe } = await setup();
    fake.setWebhookUrl('http://127.0.0.1:1/down');
    fake.webhooks.retry();
    await stripe.customers.create({});
    await fake.webhooks.flush();
    const { url, heard } = await scriptedReceiver(() => ({ status: 200 }));
    fake.setWebhookUrl(url);
    await fake.advanceTime(DAY);
    await fake.webhooks.flush();
    expect(heard.map((h) => h.type)).toEqual(['customer.created']);
    expect(fake.webhooks.deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, null],
      [2, 200],
    ]);
    expect(fake.webhooks.pendingRetries()).toEqual([]);
  });

  it('renders events in the endpoint’s API version as they are made; retries keep theirs', async () => {
    const { fake, stripe } = await setup(0, { eventApiVersion: '2025-03-31.basil' });
    const { url, heard } = await scriptedReceiver((nth, event) => ({
      status: nth === 1 && event.apiVersion === '2025-03-31.basil' ? 500 : 200,
    }));
    fake.setWebhookUrl(url);
    fake.webhooks.retry();
    expect(fake.webhooks.apiVersion).toBe('2025-03-31.basil');
    const old = await stripe.customers.create({});
    await fake.webhooks.flush();
    fake.webhooks.setApiVersion('2026-10-28.endive');
    const fresh = await stripe.customers.create({});
    await fake.advanceTime(300);
    await fake.webhooks.flush();
    const byCustomer = (id: string) =>
      heard.filter((h) => h.id === fake.events.find((e) => e.data.object.id === id)?.id);
    expect(byCustomer(old.id).map((h) => h.apiVersion)).toEqual([
      '2025-03-31.basil',
      '2025-03-31.basil',
    ]);
    expect(byCustomer(fresh.id).map((h) => h.apiVersion)).toEqual(['2026-10-28.endive']);
    expect(fake.webhooks.deliveries.map((d) => [d.attempt, d.apiVersion])).toEqual([
      [1, '2025-03-31.basil'],
      [1, '2026-10-28.endive'],
      [2, '2025-03-31.basil'],
    ]);
    // The fake's own log keeps the account's version.
    expect(fake.events[0]?.api_version).toBe('2026-10-28.endive');
  });
});
