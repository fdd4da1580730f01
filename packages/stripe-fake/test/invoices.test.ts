import { describe, expect, it } from 'vitest';
import { caught, setup } from './harness.ts';

describe('stripe fake: invoice items and manual invoices', () => {
  it('lists invoice items newest first, filtered and paginated both ways', async () => {
    const { stripe } = await setup();
    const alice = await stripe.customers.create({ email: 'a@example.com' });
    const bob = await stripe.customers.create({ email: 'b@example.com' });
    const item = (customer: string, amount: number) =>
      stripe.invoiceItems.create({ customer, amount, currency: 'usd' });
    const a1 = await item(alice.id, 100);
    const a2 = await item(alice.id, 200);
    const draft = await stripe.invoices.create({
      customer: alice.id,
      pending_invoice_items_behavior: 'include',
    });
    const a3 = await item(alice.id, 300);
    const a4 = await item(alice.id, 400);
    const b1 = await item(bob.id, 500);
    const ids = (list: { data: { id: string }[] }) => list.data.map((entry) => entry.id);

    expect(ids(await stripe.invoiceItems.list())).toEqual([b1.id, a4.id, a3.id, a2.id, a1.id]);
    expect(ids(await stripe.invoiceItems.list({ customer: alice.id }))).toEqual([
      a4.id,
      a3.id,
      a2.id,
      a1.id,
    ]);
    expect(ids(await stripe.invoiceItems.list({ invoice: draft.id }))).toEqual([a2.id, a1.id]);
    expect(ids(await stripe.invoiceItems.list({ customer: alice.id, pending: true }))).toEqual([
      a4.id,
      a3.id,
    ]);
    expect(ids(await stripe.invoiceItems.list({ pending: false }))).toEqual([a2.id, a1.id]);

    const first = await stripe.invoiceItems.list({ customer: alice.id, limit: 2 });
    expect(first).toMatchObject({ object: 'list', url: '/v1/invoiceitems', has_more: true });
    expect(ids(first)).toEqual([a4.id, a3.id]);
    const second = await stripe.invoiceItems.list({
      customer: alice.id,
      limit: 2,
      starting_after: a3.id,
    });
    expect(ids(second)).toEqual([a2.id, a1.id]);
    expect(second.has_more).toBe(false);
    const back = await stripe.invoiceItems.list({
      customer: alice.id,
      limit: 1,
      ending_before: a2.id,
    });
    expect(ids(back)).toEqual([a3.id]);
    expect(back.has_more).toBe(true);
    const top = await stripe.invoiceItems.list({ customer: alice.id, ending_before: a3.id });
    expect(ids(top)).toEqual([a4.id]);
    expect(top.has_more).toBe(false);
    const all = await stripe.invoiceItems.list({ limit: 1 }).autoPagingToArray({ limit: 100 });
    expect(all.map((entry) => entry.id)).toEqual([b1.id, a4.id, a3.id, a2.id, a1.id]);

    expect(await stripe.invoiceItems.list({ limit: 10 })).toMatchObject({ has_more: false });
    const unknown = await caught(stripe.invoiceItems.list({ subscription: 'sub_x' } as any));
    expect(unknown).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'subscription',
    });
    expect(await caught(stripe.invoiceItems.list({ limit: 101 }))).toMatchObject({
      statusCode: 400,
      param: 'limit',
    });
    expect(
      await caught(stripe.invoiceItems.list({ starting_after: a1.id, ending_before: a4.id })),
    ).toMatchObject({ statusCode: 400, code: 'parameters_exclusive' });
  });

  it('builds a draft from explicit items only, finalizes it and lists it', async () => {
    const { fake, stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const pending = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 999,
      currency: 'usd',
      description: 'Not for this invoice',
    });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      currency: 'usd',
      pending_invoice_items_behavior: 'exclude',
      auto_advance: false,
      collection_method: 'charge_automatically',
      description: 'Plan change',
      metadata: { change: 'chg_1' },
    });
    expect(draft).toMatchObject({
      status: 'draft',
      currency: 'usd',
      total: 0,
      auto_advance: false,
      description: 'Plan change',
      metadata: { change: 'chg_1' },
      hosted_invoice_url: null,
    });
    expect(draft.lines.data).toEqual([]);

    const charge = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 5000,
      currency: 'usd',
      description: 'Pro, remaining time',
      metadata: { kind: 'charge' },
    });
    const credit = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: -1500,
      currency: 'usd',
      description: 'Starter, unused time',
      metadata: { kind: 'credit' },
    });
    expect(charge).toMatchObject({ invoice: draft.id, metadata: { kind: 'charge' } });
    expect(credit).toMatchObject({ invoice: draft.id, amount: -1500 });
    const wrongCurrency = await caught(
      stripe.invoiceItems.create({
        customer: customer.id,
        invoice: draft.id,
        amount: 1,
        currency: 'eur',
      }),
    );
    expect(wrongCurrency).toMatchObject({ statusCode: 400, param: 'currency' });

    const open = await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: true });
    expect(open).toMatchObject({
      status: 'open',
      auto_advance: true,
      subtotal: 3500,
      total: 3500,
      amount_due: 3500,
      amount_remaining: 3500,
      attempted: false,
      attempt_count: 0,
      hosted_invoice_url: `${fake.url}/invoices/${draft.id}`,
      metadata: { change: 'chg_1' },
    });
    expect(open.number).toMatch(/^FAKE-\d{4}$/);
    expect(open.lines.data.map((line) => line.amount)).toEqual([5000, -1500]);
    expect(open.lines.data.map((line) => line.parent?.invoice_item_details?.invoice_item)).toEqual([
      charge.id,
      credit.id,
    ]);
    const finalized = fake.events.filter((event) => event.type === 'invoice.finalized');
    expect(finalized).toHaveLength(1);
    expect(finalized[0]?.data.object).toMatchObject({ id: draft.id, status: 'open', total: 3500 });

    expect((await stripe.invoiceItems.retrieve(pending.id)).invoice).toBeNull();
    const listed = await stripe.invoices.list({ customer: customer.id });
    expect(listed.data.map((invoice) => invoice.id)).toEqual([draft.id]);
    expect(listed.data[0]?.metadata).toEqual({ change: 'chg_1' });
    expect((await stripe.invoices.retrieve(draft.id)).metadata).toEqual({ change: 'chg_1' });
  });

  it('refuses an amount of more than eight digits, as Stripe does, and creates nothing', async () => {
    const { stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const largest = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 99_999_999,
      currency: 'usd',
    });
    expect(largest.amount).toBe(99_999_999);
    expect(
      await caught(
        stripe.invoiceItems.create({ customer: customer.id, amount: 100_000_000, currency: 'usd' }),
      ),
    ).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    const items = await stripe.invoiceItems.list({ customer: customer.id });
    expect(items.data.map((item) => item.id)).toEqual([largest.id]);
  });

  it("takes Stripe's defaults: pending items excluded, one currency swept when included", async () => {
    const { stripe } = await setup();
    const customer = await stripe.customers.create({ email: 'a@example.com' });
    const usd = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 1200,
      currency: 'usd',
    });
    const eur = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 800,
      currency: 'eur',
    });

    // pending_invoice_items_behavior defaults to exclude (API version 2022-08-01 on).
    const plain = await stripe.invoices.create({ customer: customer.id });
    expect(plain).toMatchObject({
      status: 'draft',
      total: 0,
      currency: 'usd',
      auto_advance: false,
      collection_method: 'charge_automatically',
    });
    expect(plain.lines.data).toEqual([]);
    expect((await stripe.invoiceItems.retrieve(usd.id)).invoice).toBeNull();

    // Included without a currency: one currency only, never a mix.
    const included = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    expect(included).toMatchObject({ currency: 'usd', total: 1200 });
    expect(included.lines.data.map((line) => line.currency)).toEqual(['usd']);
    expect((await stripe.invoiceItems.retrieve(usd.id)).invoice).toBe(included.id);
    expect((await stripe.invoiceItems.retrieve(eur.id)).invoice).toBeNull();
  });
});
