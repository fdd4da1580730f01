import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, DAY, firstItem, monthlyPrice, pendingItemIds, setup } from './harness.ts';

/**
 * billing_mode (https://docs.stripe.com/billing/subscriptions/billing-mode) and the two ways of
 * computing credit prorations
 * (https://docs.stripe.com/billing/subscriptions/prorations#credit-prorations). The clock is
 * first moved to 2035-01-11 00:00 UTC so that every period, and so every amount, is known.
 */
const T0 = Date.UTC(2035, 0, 11) / 1000;
const FEB_1 = Date.UTC(2035, 1, 1) / 1000;

async function at2035() {
  const context = await setup();
  await context.fake.advanceTime(T0 - context.fake.now());
  return context;
}

async function pendingAmounts(stripe: Stripe, ids: string[]) {
  const items = await Promise.all(ids.map((id) => stripe.invoiceItems.retrieve(id)));
  return items.sort((a, b) => a.amount - b.amount);
}

describe('stripe fake: billing_mode', () => {
  it('defaults new subscriptions to flexible and takes classic or flexible options', async () => {
    const { stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({});
    const byDefault = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    expect(byDefault.billing_mode).toEqual({
      type: 'flexible',
      flexible: { proration_discounts: 'included' },
      updated_at: byDefault.created,
    });
    const classic = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      billing_mode: { type: 'classic' },
    });
    expect(classic.billing_mode).toEqual({
      type: 'classic',
      flexible: null,
      updated_at: classic.created,
    });
    const itemized = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      billing_mode: { type: 'flexible', flexible: { proration_discounts: 'itemized' } },
    });
    expect(itemized.billing_mode.flexible).toEqual({ proration_discounts: 'itemized' });

    const mixed = await caught(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        billing_mode: { type: 'classic', flexible: { proration_discounts: 'itemized' } },
      }),
    );
    expect(mixed).toMatchObject({ statusCode: 400, param: 'billing_mode[flexible]' });
    const untyped = await caught(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        billing_mode: {
          flexible: { proration_discounts: 'itemized' },
        } as Stripe.SubscriptionCreateParams.BillingMode,
      }),
    );
    expect(untyped).toMatchObject({ code: 'parameter_missing', param: 'billing_mode[type]' });
  });

  it('gives checkout subscriptions subscription_data[billing_mode], and schedules inherit it', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'a@example.com',
      line_items: [{ price: price.id, quantity: 1 }],
      subscription_data: { billing_mode: { type: 'classic' } },
      success_url: 'https://app.example/success',
    });
    const { subscriptionId } = await fake.completeCheckoutSession(session.id);
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.billing_mode).toMatchObject({ type: 'classic', flexible: null });

    const schedule = await stripe.subscriptionSchedules.create({
      from_subscription: subscriptionId,
    });
    expect(schedule.billing_mode).toMatchObject({ type: 'classic', flexible: null });
    const other = await stripe.subscriptions.create({
      customer: subscription.customer as string,
      items: [{ price: price.id }],
    });
    // The docs: setting billing_mode together with from_subscription is an error.
    const refused = await caught(
      stripe.subscriptionSchedules.create({
        from_subscription: other.id,
        billing_mode: { type: 'flexible' },
      }),
    );
    expect(refused).toMatchObject({ statusCode: 400, param: 'billing_mode' });
  });

  it('credits a prorated first period at the price (classic) or at what was paid (flexible)', async () => {
    for (const mode of ['classic', 'flexible'] as const) {
      const { fake, stripe } = await at2035();
      const pro = await monthlyPrice(stripe, 'Pro', 4900);
      const business = await monthlyPrice(stripe, 'Business', 19900);
      const customer = await stripe.customers.create({});
      // Created 11 Jan, anchored on 1 Feb: a 21-day first period of the 31-day January.
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: pro.id }],
        billing_cycle_anchor: FEB_1,
        billing_mode: { type: mode },
        expand: ['latest_invoice'],
      });
      expect(subscription.start_date - T0).toBeLessThanOrEqual(2);
      // 4900 × 21/31 = 3319.35 → 3319
      expect((subscription.latest_invoice as Stripe.Invoice).total).toBe(3319);

      // On 21 Jan, 11 of the period's 21 days are left.
      await fake.advanceTime(10 * DAY);
      const jan21 = T0 + 10 * DAY;
      await stripe.subscriptions.update(subscription.id, {
        items: [{ id: firstItem(subscription).id, price: business.id }],
        proration_behavior: 'create_prorations',
        proration_date: jan21,
      });
      const [credit, debit] = await pendingAmounts(stripe, pendingItemIds(fake, customer.id));
      // classic: −4900 × 11/21 = −2566.67 → −2567 (more than the 3319 × 11/21 paid for it);
      // flexible: −3319 × 11/21 = −1738.52 → −1739.
      expect(credit).toMatchObject({
        amount: mode === 'classic' ? -2567 : -1739,
        proration: true,
        period: { start: jan21, end: FEB_1 },
        description: 'Unused time on Pro after 21 Jan 2035',
      });
      // Both modes: 19900 × 11/21 = 10423.81 → 10424.
      expect(debit).toMatchObject({ amount: 10424, period: { start: jan21, end: FEB_1 } });

      await fake.advanceToPeriodEnd(subscription.id);
      const renewed = await stripe.subscriptions.retrieve(subscription.id, {
        expand: ['latest_invoice'],
      });
      // 19900 for February plus the prorations: 19900 − 2567 + 10424 / 19900 − 1739 + 10424.
      expect(renewed.latest_invoice).toMatchObject({
        billing_reason: 'subscription_cycle',
        total: mode === 'classic' ? 27757 : 28585,
      });
    }
  });

  it('credits a whole period at the price (classic) or at the last price billed (flexible)', async () => {
    // The docs' example: upgraded without prorations, then downgraded with always_invoice.
    for (const mode of ['classic', 'flexible'] as const) {
      const { fake, stripe } = await at2035();
      const basic = await monthlyPrice(stripe, 'Basic', 1000);
      const plus = await monthlyPrice(stripe, 'Plus', 2000);
      const customer = await stripe.customers.create({});
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: basic.id }],
        billing_mode: { type: mode },
      });
      const item = firstItem(subscription);
      const start = item.current_period_start;
      expect(item.current_period_end - start).toBe(31 * DAY); // 11 Jan → 11 Feb

      await fake.advanceTime(10 * DAY);
      await stripe.subscriptions.update(subscription.id, {
        items: [{ id: item.id, price: plus.id }],
        proration_behavior: 'none',
      });
      await fake.advanceTime(10 * DAY);
      const downgraded = await stripe.subscriptions.update(subscription.id, {
        items: [{ id: item.id, price: basic.id }],
        proration_behavior: 'always_invoice',
        proration_date: start + 20 * DAY,
        expand: ['latest_invoice'],
      });
      const invoice = downgraded.latest_invoice as Stripe.Invoice;
      const amounts = invoice.lines.data.map((line) => line.amount).sort((a, b) => a - b);
      // 11 of 31 days left. classic: −2000 × 11/31 = −709.68 → −710 (never paid), +1000 × 11/31
      // = 354.84 → 355; flexible credits the 1000 billed on 11 Jan: −355 + 355 = 0.
      expect(amounts).toEqual(mode === 'classic' ? [-710, 355] : [-355, 355]);
      expect(invoice.total).toBe(mode === 'classic' ? -355 : 0);
      const credit = invoice.lines.data.find((line) => line.amount < 0);
      expect(credit?.description).toBe(
        `Unused time on ${mode === 'classic' ? 'Plus' : 'Basic'} after 31 Jan 2035`,
      );
    }
  });
});
