import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, monthlyPrice, setup } from './harness.ts';

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
