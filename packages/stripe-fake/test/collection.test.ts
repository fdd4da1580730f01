import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { monthlyPrice, setup } from './harness.ts';

describe('stripe fake: automatic collection', () => {
  /** An open invoice of `amount`, finalized with auto_advance (charged an hour later). */
  async function autoInvoice(stripe: Stripe, customer: string, amount: number) {
    const draft = await stripe.invoices.create({
      customer,
      pending_invoice_items_behavior: 'exclude',
      auto_advance: true,
    });
    await stripe.invoiceItems.create({ customer, invoice: draft.id, amount, currency: 'usd' });
    return stripe.invoices.finalizeInvoice(draft.id);
  }

  it('charges an auto-advancing invoice an hour after finalization, at that moment', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const open = await autoInvoice(stripe, customer.id, 2000);
    const finalizedAt = open.status_transitions.finalized_at ?? 0;
    expect(open).toMatchObject({
      status: 'open',
      attempted: false,
      attempt_count: 0,
      next_payment_attempt: finalizedAt + 3600,
    });
    const manual = await stripe.invoices.finalizeInvoice(
      (
        await stripe.invoices.create({
          customer: customer.id,
          pending_invoice_items_behavior: 'exclude',
          auto_advance: false,
        })
      ).id,
    );
    expect(manual.status).toBe('paid'); // $0: paid on finalization
    const sent = await stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      auto_advance: true,
    });
    await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: sent.id,
      amount: 700,
      currency: 'usd',
    });
    await stripe.invoices.finalizeInvoice(sent.id);

    await fake.advanceTime(1800);
    expect((await stripe.invoices.retrieve(open.id)).status).toBe('open');
    await fake.advanceTime(1800);
    const paid = await stripe.invoices.retrieve(open.id);
    expect(paid).toMatchObject({
      status: 'paid',
      attempted: true,
      attempt_count: 1,
      amount_paid: 2000,
      next_payment_attempt: null,
      status_transitions: { paid_at: finalizedAt + 3600 },
    });
    const types = fake.events
      .filter((event) => event.data.object.id === open.id)
      .map((event) => event.type);
    expect(types.slice(-2)).toEqual(['invoice.paid', 'invoice.payment_succeeded']);
    expect((await stripe.invoices.retrieve(sent.id)).status).toBe('open');
    expect(await fake.collectDueInvoices()).toEqual([]);
  });

  it('collects on demand, records a declined attempt once and never charges twice', async () => {
    const { fake, stripe } = await setup();
    const price = await monthlyPrice(stripe, 'Pro', 4900);
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const declined = await stripe.customers.create({ email: 'd@example.com' });
    fake.setCardDeclined(declined.id, true);
    const good = await autoInvoice(stripe, customer.id, 1200);
    const bad = await autoInvoice(stripe, declined.id, 3400);

    const attempted = await fake.collectDueInvoices();
    expect(attempted.sort()).toEqual([good.id, bad.id].sort());
    expect(await stripe.invoices.retrieve(good.id)).toMatchObject({
      status: 'paid',
      attempt_count: 1,
    });
    expect(await stripe.invoices.retrieve(bad.id)).toMatchObject({
      status: 'open',
      attempted: true,
      attempt_count: 1,
    });
    expect(
      fake.events.filter(
        (event) => event.type === 'invoice.payment_failed' && event.data.object.id === bad.id,
      ),
    ).toHaveLength(1);
    expect(await fake.collectDueInvoices()).toEqual([]);

    // Two hours on: nothing already attempted is charged again, the subscription's first
    // invoice (charged on creation) included.
    await fake.advanceTime(2 * 3600);
    expect(await stripe.invoices.retrieve(bad.id)).toMatchObject({ attempt_count: 1 });
    const first = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(first).toMatchObject({ status: 'paid', attempt_count: 1 });
    expect(fake.events.filter((event) => event.type === 'invoice.paid')).toHaveLength(2);
  });
});
