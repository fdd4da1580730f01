import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { caught, DAY, firstItem, monthlyPrice, pendingItemIds, setup } from './harness.ts';

const HOUR = 3600;
/** Stripe's window for paying an incomplete subscription's first invoice. */
const INCOMPLETE_WINDOW = 23 * HOUR;

/** A fake whose customers start without a payment method, as on Stripe. */
async function withoutCards() {
  const { fake, stripe } = await setup(0, { customersHavePaymentMethods: false });
  const price = await monthlyPrice(stripe, 'Pro', 4900);
  const customer = await stripe.customers.create({ email: 'nocard@example.com' });
  return { fake, stripe, price, customer };
}

function invoiceOf(subscription: Stripe.Subscription): Stripe.Invoice {
  return subscription.latest_invoice as Stripe.Invoice;
}

describe('stripe fake: payment methods', () => {
  it('gives customers a working card by default, and none with customersHavePaymentMethods: false', async () => {
    const { stripe } = await setup();
    const withCard = await stripe.customers.create({ email: 'a@example.com' });
    expect(withCard.invoice_settings.default_payment_method).toMatch(/^pm_/);

    const { fake, stripe: honest } = await setup(0, { customersHavePaymentMethods: false });
    const without = await honest.customers.create({ email: 'b@example.com' });
    expect(without.invoice_settings.default_payment_method).toBeNull();

    const pm = await fake.attachPaymentMethod(without.id);
    const updated = await honest.customers.retrieve(without.id);
    expect(updated).toMatchObject({ invoice_settings: { default_payment_method: pm } });
    expect(fake.events.at(-1)).toMatchObject({
      type: 'customer.updated',
      data: { previous_attributes: { invoice_settings: { default_payment_method: null } } },
    });
    await fake.detachPaymentMethod(without.id);
    expect((await honest.customers.retrieve(without.id)) as Stripe.Customer).toMatchObject({
      invoice_settings: { default_payment_method: null },
    });
  });

  it('makes a charge_automatically subscription without a payment method incomplete, then incomplete_expired 23 hours later', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('incomplete');
    expect(invoiceOf(subscription)).toMatchObject({
      status: 'open',
      billing_reason: 'subscription_create',
      amount_due: 4900,
      amount_paid: 0,
      attempted: true,
      attempt_count: 1,
      next_payment_attempt: null,
    });
    expect(fake.events.map((event) => event.type)).toContain('invoice.payment_failed');

    // Still waiting just before the 23 hours are up (the clock also ticks on its own).
    await fake.advanceTime(INCOMPLETE_WINDOW - 60);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('incomplete');

    await fake.advanceTime(120);
    const expired = await stripe.subscriptions.retrieve(subscription.id);
    const expiredAt = subscription.created + INCOMPLETE_WINDOW;
    expect(expired).toMatchObject({ status: 'incomplete_expired', ended_at: expiredAt });
    const invoice = await stripe.invoices.retrieve(invoiceOf(subscription).id as string);
    expect(invoice).toMatchObject({ status: 'void', amount_remaining: 0 });
    const updated = fake.events.find(
      (event) =>
        event.type === 'customer.subscription.updated' &&
        (event.data.object as { status?: string }).status === 'incomplete_expired',
    );
    expect(updated).toMatchObject({
      created: expiredAt,
      data: { previous_attributes: { status: 'incomplete' } },
    });
    expect(fake.events.at(-1)).toMatchObject({ type: 'invoice.voided', created: expiredAt });

    // A terminal status: nothing more is billed, and only metadata can change.
    await fake.advanceTime(40 * DAY);
    const invoices = await stripe.invoices.list({ customer: customer.id });
    expect(invoices.data.map((each) => each.id)).toEqual([invoice.id]);
    const listed = await stripe.subscriptions.list({ customer: customer.id, status: 'ended' });
    expect(listed.data.map((each) => each.id)).toEqual([subscription.id]);
  });

  it('activates an incomplete subscription whose first invoice is paid within the 23 hours', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const invoiceId = subscription.latest_invoice as string;

    // Without a payment method, /pay is refused before any attempt.
    const eventsBefore = fake.events.length;
    const refused = await caught(stripe.invoices.pay(invoiceId));
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'default_payment_method',
    });
    expect(refused.message).toMatch(/no attached payment source or default payment method/);
    expect(fake.events.length).toBe(eventsBefore);
    expect(await stripe.invoices.retrieve(invoiceId)).toMatchObject({ attempt_count: 1 });

    await fake.advanceTime(5 * HOUR);
    await fake.attachPaymentMethod(customer.id);
    const paid = await stripe.invoices.pay(invoiceId);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 4900, attempt_count: 2 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

    await fake.advanceTime(INCOMPLETE_WINDOW);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });

  it('with default_incomplete leaves the first invoice unattempted, and expires it too', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('incomplete');
    expect(invoiceOf(subscription)).toMatchObject({ status: 'open', attempt_count: 0 });
    expect(fake.events.map((event) => event.type)).not.toContain('invoice.payment_failed');
    await fake.advanceTime(INCOMPLETE_WINDOW + 60);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe(
      'incomplete_expired',
    );
  });

  it('refuses a subscription with error_if_incomplete: 400 without a payment method, 402 for a declining card, creating nothing', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const create = () =>
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'error_if_incomplete',
      });
    const noCard = await caught(create());
    expect(noCard).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(noCard).toMatchObject({ statusCode: 400, code: 'resource_missing' });

    await fake.attachPaymentMethod(customer.id, { declines: true });
    const declined = await caught(create());
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined' });
    expect(fake.state.subscriptions.size).toBe(0);
    expect(fake.state.invoices.size).toBe(0);

    await fake.attachPaymentMethod(customer.id);
    expect((await create()).status).toBe('active');
  });

  it('refuses an always_invoice upgrade with error_if_incomplete when the customer cannot pay, changing nothing', async () => {
    const { fake, stripe } = await setup();
    const starter = await monthlyPrice(stripe, 'Starter', 4900);
    const pro = await monthlyPrice(stripe, 'Pro', 19900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: starter.id }],
    });
    expect(subscription.status).toBe('active');
    await fake.advanceTime(10 * DAY);
    const item = firstItem(subscription).id;
    const change = (price: string, behavior: Stripe.SubscriptionUpdateParams.PaymentBehavior) =>
      stripe.subscriptions.update(subscription.id, {
        items: [{ id: item, price }],
        proration_behavior: 'always_invoice',
        payment_behavior: behavior,
      });

    const eventsBefore = fake.events.length;
    await fake.detachPaymentMethod(customer.id);
    const noCard = await caught(change(pro.id, 'error_if_incomplete'));
    expect(noCard).toMatchObject({ statusCode: 400, code: 'resource_missing' });
    await fake.attachPaymentMethod(customer.id, { declines: true });
    const declined = await caught(change(pro.id, 'error_if_incomplete'));
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined' });
    const unchanged = await stripe.subscriptions.retrieve(subscription.id);
    expect(firstItem(unchanged).price.id).toBe(starter.id);
    expect(unchanged.latest_invoice).toBe(subscription.latest_invoice);
    expect(unchanged.status).toBe('active');
    expect(pendingItemIds(fake, customer.id)).toEqual([]);
    // Only the card changes were heard of (customer.updated), nothing of the refused updates.
    expect(fake.events.slice(eventsBefore).map((event) => event.type)).toEqual([
      'customer.updated',
      'customer.updated',
    ]);

    // A change that leaves nothing to pay (a downgrade's credit) needs no payment method.
    await fake.detachPaymentMethod(customer.id);
    fake.setCardDeclined(customer.id, false);
    const cheaper = await monthlyPrice(stripe, 'Basic', 900);
    const downgraded = await change(cheaper.id, 'error_if_incomplete');
    expect(firstItem(downgraded).price.id).toBe(cheaper.id);

    // allow_incomplete (the default) applies the change and leaves its invoice unpaid: past_due.
    const upgraded = await change(pro.id, 'allow_incomplete');
    expect(firstItem(upgraded).price.id).toBe(pro.id);
    expect(upgraded.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(upgraded.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'open', billing_reason: 'subscription_update' });
  });

  it('bills a send_invoice subscription by e-mail: active at once, the open invoice due in days_until_due and never charged; past_due once overdue, active once paid', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      collection_method: 'send_invoice',
      days_until_due: 14,
      expand: ['latest_invoice'],
    });
    expect(subscription).toMatchObject({
      status: 'active',
      collection_method: 'send_invoice',
      days_until_due: 14,
    });
    const invoice = invoiceOf(subscription);
    const finalizedAt = invoice.status_transitions.finalized_at as number;
    expect(invoice).toMatchObject({
      status: 'open',
      collection_method: 'send_invoice',
      amount_due: 4900,
      attempted: false,
      attempt_count: 0,
      next_payment_attempt: null,
      due_date: finalizedAt + 14 * DAY,
      hosted_invoice_url: `${fake.url}/invoices/${invoice.id}`,
    });

    // Not charged by automatic collection, and not overdue before its due date.
    await fake.advanceTime(2 * HOUR);
    expect(await fake.collectDueInvoices()).toEqual([]);
    await fake.advanceTime(finalizedAt + 14 * DAY - 60 - fake.now());
    expect(await stripe.invoices.retrieve(invoice.id as string)).toMatchObject({
      status: 'open',
      attempt_count: 0,
    });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');

    await fake.advanceTime(120);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
    expect(fake.events.at(-1)).toMatchObject({
      type: 'customer.subscription.updated',
      created: finalizedAt + 14 * DAY,
      data: { previous_attributes: { status: 'active' } },
    });

    await fake.payInvoiceOnHostedPage(invoice.id as string);
    expect(await stripe.invoices.retrieve(invoice.id as string)).toMatchObject({
      status: 'paid',
      amount_paid: 4900,
    });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });

  it('lets Checkout collect a card for the subscription only, as Stripe does', async () => {
    const { fake, stripe, price, customer } = await withoutCards();
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: 'https://app.example/ok',
    });
    const { subscriptionId } = await fake.completeCheckoutSession(session.id);
    const subscription = await stripe.subscriptions.retrieve(subscriptionId, {
      expand: ['latest_invoice'],
    });
    expect(subscription.status).toBe('active');
    expect(subscription.default_payment_method).toMatch(/^pm_/);
    expect(invoiceOf(subscription)).toMatchObject({ status: 'paid', amount_paid: 4900 });
    expect(
      ((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).invoice_settings
        .default_payment_method,
    ).toBeNull();

    // An invoice of the customer's own (not the subscription's) has no card to charge.
    const draft = await stripe.invoices.create({ customer: customer.id });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 700,
      currency: 'usd',
    });
    const own = await stripe.invoices.finalizeInvoice(draft.id as string);
    expect(own).toMatchObject({ status: 'open', amount_due: 700 });
    expect(await caught(stripe.invoices.pay(own.id as string))).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
    });
  });
});
