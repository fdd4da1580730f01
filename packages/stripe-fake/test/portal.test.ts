import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, setup } from './harness.ts';

describe('stripe fake: billing portal', () => {
  it('refuses portal sessions, as Stripe does, until the portal settings are saved', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });

    const refused = await caught(
      stripe.billingPortal.sessions.create({
        customer: customer.id,
        return_url: 'https://app.example/billing',
      }),
    );
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error' });
    expect(refused.message).toBe(
      'No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.',
    );
    // Parameters are still checked first.
    expect(await caught(stripe.billingPortal.sessions.create({} as never))).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'customer',
    });

    const configuration = fake.configurePortal();
    expect(configuration).toMatch(/^bpc_/);
    expect(fake.configurePortal()).toBe(configuration);
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://app.example/billing',
    });
    expect(session).toMatchObject({
      object: 'billing_portal.session',
      configuration,
      customer: customer.id,
      return_url: 'https://app.example/billing',
      url: `${fake.url}/portal/${session.id}`,
    });
  });
});
