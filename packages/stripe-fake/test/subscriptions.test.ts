import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { shift } from '../src/calendar.ts';
import { caught, DAY, firstItem, monthlyPrice, pendingItemIds, setup } from './harness.ts';

describe('stripe fake: subscriptions and invoices', () => {
  it('bills the stub period up to a billing_cycle_anchor, prorated, and pays it', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    // An anchor ~10 days out on a day every month has, so "one month before" is unambiguous.
    const soon = new Date((fake.now() + 10 * DAY) * 1000);
    const anchorDate =
      soon.getUTCDate() <= 28
        ? soon
        : new Date(Date.UTC(soon.getUTCFullYear(), soon.getUTCMonth() + 1, 1));
    const anchor = Math.floor(anchorDate.getTime() / 1000);
    const monthBefore =
      Date.UTC(
        anchorDate.getUTCFullYear(),
        anchorDate.getUTCMonth() - 1,
        anchorDate.getUTCDate(),
        anchorDate.getUTCHours(),
        anchorDate.getUTCMinutes(),
        anchorDate.getUTCSeconds(),
      ) / 1000;

    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      billing_cycle_anchor: anchor,
      expand: ['latest_invoice'],
    });
    const start = subscription.start_date;
    expect(subscription.status).toBe('active');
    expect(subscription.billing_cycle_anchor).toBe(anchor);
    expect(subscription.items.data[0]).toMatchObject({
      object: 'subscription_item',
      current_period_start: start,
      current_period_end: anchor,
      quantity: 1,
    });
    const expected = Number(
      (4900n * BigInt(anchor - start) * 2n + BigInt(anchor - monthBefore)) /
        (2n * BigInt(anchor - monthBefore)),
    );
    const invoice = subscription.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'paid',
      billing_reason: 'subscription_create',
      amount_due: expected,
      amount_paid: expected,
      amount_remaining: 0,
      attempt_count: 1,
      parent: { subscription_details: { subscription: subscription.id } },
    });
    expect(invoice.lines.data[0]).toMatchObject({
      amount: expected,
      period: { start, end: anchor },
    });
    expect(invoice.number).toMatch(/^FAKE-\d{4}$/);
    expect(invoice.hosted_invoice_url).toBe(`${fake.url}/invoices/${invoice.id}`);
    expect(invoice.status_transitions.paid_at).toBe(start);
    expect(fake.events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'customer.subscription.created',
        'invoice.created',
        'invoice.finalized',
        'invoice.paid',
      ]),
    );
  });

  it('fails paying a declined customer’s invoice with a card error', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 1500,
      currency: 'usd',
      description: 'Setup',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    expect(draft).toMatchObject({ status: 'draft', total: 1500 });
    const open = await stripe.invoices.finalizeInvoice(draft.id);
    expect(open).toMatchObject({ status: 'open', amount_due: 1500, amount_remaining: 1500 });

    fake.setCardDeclined(customer.id, true);
    const error = await caught(stripe.invoices.pay(open.id));
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
      statusCode: 402,
    });
    const failed = await stripe.invoices.retrieve(open.id);
    expect(failed).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(fake.events.at(-1)?.type).toBe('invoice.payment_failed');

    fake.setCardDeclined(customer.id, false);
    const paid = await stripe.invoices.pay(open.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 1500, attempt_count: 2 });
    const voidable = await stripe.invoices.finalizeInvoice(
      (
        await stripe.invoices.create({
          customer: customer.id,
          pending_invoice_items_behavior: 'exclude',
        })
      ).id,
    );
    expect(voidable.status).toBe('paid'); // nothing pending: a $0 invoice is paid on finalization
  });

  it('prorates an upgrade at proration_date to the cent', async () => {
    const { fake, stripe } = await setup();
    const starter = await monthlyPrice(stripe, 'Starter', 4900);
    const pro = await monthlyPrice(stripe, 'Pro', 19900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: starter.id }],
    });
    const item = firstItem(subscription);
    const { current_period_start: start, current_period_end: end } = item;
    const half = start + (end - start) / 2; // calendar periods are whole days: an even count of seconds

    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'create_prorations',
      proration_date: half,
    });
    expect(updated.items.data[0]).toMatchObject({
      price: { id: pro.id },
      current_period_start: start,
      current_period_end: end,
    });
    const pending = await Promise.all(
      pendingItemIds(fake, customer.id).map((id) => stripe.invoiceItems.retrieve(id)),
    );
    expect(pending.map((entry) => entry.amount).sort((a, b) => a - b)).toEqual([-2450, 9950]);
    for (const entry of pending) {
      expect(entry).toMatchObject({ proration: true, period: { start: half, end }, invoice: null });
    }
    expect(pending.map((entry) => entry.description)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Unused time on Starter after /),
        expect.stringMatching(/^Remaining time on Pro after /),
      ]),
    );
  });

  it('bills prorations at once with always_invoice', async () => {
    const { fake, stripe } = await setup();
    const starter = await monthlyPrice(stripe, 'Starter', 4900);
    const pro = await monthlyPrice(stripe, 'Pro', 19900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: starter.id }],
    });
    const item = firstItem(subscription);
    const half =
      item.current_period_start + (item.current_period_end - item.current_period_start) / 2;
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      proration_date: half,
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_update',
      total: 7500,
      amount_paid: 7500,
    });
    expect(invoice.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([
      -2450, 9950,
    ]);
    expect(pendingItemIds(fake, customer.id)).toEqual([]);
  });

  it('starts a yearly period at once when a monthly price becomes a yearly one, less the unused time', async () => {
    const { fake, stripe } = await setup();
    const monthly = await monthlyPrice(stripe, 'Plus', 800);
    const yearly = await stripe.prices.create({
      product: monthly.product as string,
      currency: 'usd',
      unit_amount: 8000,
      recurring: { interval: 'year' },
    });
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
    });
    const item = firstItem(subscription);
    const half =
      item.current_period_start + (item.current_period_end - item.current_period_start) / 2;
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: yearly.id }],
      proration_behavior: 'always_invoice',
      proration_date: half,
      expand: ['latest_invoice'],
    });
    const now = fake.now();
    expect(updated.billing_cycle_anchor).toBeGreaterThanOrEqual(now - 2);
    const period = firstItem(updated);
    expect(period.current_period_end).toBe(
      shift(period.current_period_start, { interval: 'year', interval_count: 1 }, 1),
    );
    // Half a month unused: −$4.00; the first year: $80.00.
    const invoice = updated.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', total: 7600 });
    expect(invoice.lines.data.map((line) => line.amount).sort((a, b) => a - b)).toEqual([
      -400, 8000,
    ]);
    expect(pendingItemIds(fake, customer.id)).toEqual([]);
  });

  it('renews at period end with a new invoice including pending items', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const end = firstItem(subscription).current_period_end;
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 300,
      currency: 'usd',
      description: 'Overage',
    });

    await fake.advanceToPeriodEnd(subscription.id);
    // The fake clock keeps ticking with real time after the jump.
    expect(fake.now() - (end + 1)).toBeLessThanOrEqual(1);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice.customer'],
    });
    const nextEnd = shift(end, { interval: 'month', interval_count: 1 }, 1);
    expect(renewed.items.data[0]).toMatchObject({
      current_period_start: end,
      current_period_end: nextEnd,
    });
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      total: 5200,
      created: end,
      customer: { id: customer.id, email: 'a@example.com' },
    });
    expect(invoice.lines.data[0]).toMatchObject({
      amount: 4900,
      period: { start: end, end: nextEnd },
    });
    const invoices = await stripe.invoices.list({ subscription: subscription.id });
    expect(invoices.data).toHaveLength(2);
  });

  it('goes past_due on a declined renewal and recovers on a successful retry', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    fake.setCardDeclined(customer.id, true);
    await fake.advanceToPeriodEnd(subscription.id);
    const pastDue = await stripe.subscriptions.retrieve(subscription.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(fake.events.map((event) => event.type)).toContain('invoice.payment_failed');

    fake.setCardDeclined(customer.id, false);
    await fake.retryInvoicePayment(invoice.id);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
  });

  it('cancels at period end when asked to', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const end = firstItem(subscription).current_period_end;
    const canceling = await stripe.subscriptions.update(subscription.id, {
      cancel_at_period_end: true,
    });
    expect(canceling).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: end,
    });
    const updated = fake.events.at(-1);
    expect(updated?.type).toBe('customer.subscription.updated');
    expect(updated?.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });

    await fake.advanceToPeriodEnd(subscription.id);
    const canceled = await stripe.subscriptions.retrieve(subscription.id);
    expect(canceled).toMatchObject({ status: 'canceled', ended_at: end });
    expect(fake.events.at(-1)?.type).toBe('customer.subscription.deleted');
    expect((await stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);

    const other = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const deleted = await stripe.subscriptions.cancel(other.id);
    expect(deleted.status).toBe('canceled');
    expect(deleted.canceled_at).toBe(deleted.ended_at);
    expect(fake.events.at(-1)).toMatchObject({
      type: 'customer.subscription.deleted',
      data: { object: { id: other.id, status: 'canceled' } },
    });
  });

  it('completes a checkout session into a 14-day trial that converts to paid', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'new@example.com',
      client_reference_id: 'org_1',
      line_items: [{ price: price.id, quantity: 1 }],
      subscription_data: { trial_period_days: 14, metadata: { org: 'org_1' } },
      success_url: 'https://app.example/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example/cancel',
    });
    expect(session).toMatchObject({
      status: 'open',
      subscription: null,
      url: `${fake.url}/checkout/${session.id}`,
    });
    expect(session.id).toMatch(/^cs_test_/);

    const { subscriptionId } = await fake.completeCheckoutSession(session.id);
    const completed = await stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({ status: 'complete', subscription: subscriptionId });
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    const trialEnd = subscription.start_date + 14 * DAY;
    expect(subscription).toMatchObject({
      status: 'trialing',
      customer: completed.customer,
      trial_end: trialEnd,
      metadata: { org: 'org_1' },
    });
    expect(subscription.items.data[0]?.current_period_end).toBe(trialEnd);
    const types = fake.events.map((event) => event.type);
    expect(types.at(-1)).toBe('checkout.session.completed');
    expect(types).toEqual(
      expect.arrayContaining(['customer.created', 'customer.subscription.created']),
    );

    await fake.advanceTime(12 * DAY);
    expect(
      fake.events.filter((event) => event.type === 'customer.subscription.trial_will_end'),
    ).toHaveLength(1);
    await fake.advanceToPeriodEnd(subscriptionId);
    const active = await stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(active.status).toBe('active');
    expect(active.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 4900 });
    expect(active.items.data[0]?.current_period_start).toBe(trialEnd);
    expect(
      fake.events.filter((event) => event.type === 'customer.subscription.trial_will_end'),
    ).toHaveLength(1);
  });

  it('creates billing portal sessions', async () => {
    const { fake, stripe } = await setup();
    fake.configurePortal();
    const customer = await stripe.customers.create({});
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://app.example',
    });
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id });
    expect(portal.url).toBe(`${fake.url}/portal/${portal.id}`);
  });
});
