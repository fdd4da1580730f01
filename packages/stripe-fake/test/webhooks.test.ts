import { describe, expect, it } from 'vitest';
import { monthlyPrice, setup, startReceiver } from './harness.ts';

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
