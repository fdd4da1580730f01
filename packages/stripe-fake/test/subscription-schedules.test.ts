import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { shift } from '../src/calendar.ts';
import { caught, DAY, firstItem, monthlyPrice, pendingItemIds, setup } from './harness.ts';

/**
 * Subscription schedules (https://docs.stripe.com/billing/subscriptions/subscription-schedules,
 * https://docs.stripe.com/api/subscription_schedules), driven through stripe-node.
 */
const MONTH = { interval: 'month', interval_count: 1 } as const;

async function scheduledPlanChange() {
  const { fake, stripe } = await setup();
  const pro = await monthlyPrice(stripe, 'Pro', 4900);
  const starter = await monthlyPrice(stripe, 'Starter', 1900);
  const customer = await stripe.customers.create({ email: 'a@example.com' });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: pro.id }],
    billing_mode: { type: 'classic' },
  });
  const { current_period_start: start, current_period_end: end } = firstItem(subscription);
  const schedule = await stripe.subscriptionSchedules.create({
    from_subscription: subscription.id,
  });
  return { fake, stripe, pro, starter, customer, subscription, schedule, start, end };
}

function phaseChange(
  schedule: Stripe.SubscriptionSchedule,
  current: string,
  next: string,
): Stripe.SubscriptionScheduleUpdateParams {
  const phase = schedule.phases[0];
  if (!phase) throw new Error('schedule without phases');
  return {
    phases: [
      { items: [{ price: current }], start_date: phase.start_date, end_date: phase.end_date },
      { items: [{ price: next }] },
    ],
    end_behavior: 'release',
    proration_behavior: 'none',
  };
}

function typesSince(fake: { events: { type: string }[] }, count: number): string[] {
  return fake.events.slice(count).map((event) => event.type);
}

describe('stripe fake: subscription schedules', () => {
  it('changes the interval at the renewal: yearly, then monthly from the phase start', async () => {
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
      items: [{ price: yearly.id }],
    });
    const { current_period_end: yearEnd } = firstItem(subscription);
    const schedule = await stripe.subscriptionSchedules.create({
      from_subscription: subscription.id,
    });
    await stripe.subscriptionSchedules.update(
      schedule.id,
      phaseChange(schedule, yearly.id, monthly.id),
    );
    await fake.advanceToPeriodEnd(subscription.id);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(firstItem(renewed)).toMatchObject({
      price: { id: monthly.id },
      current_period_start: yearEnd,
      current_period_end: shift(yearEnd, MONTH, 1),
    });
    expect(renewed.billing_cycle_anchor).toBe(yearEnd);
    const invoice = await stripe.invoices.retrieve(renewed.latest_invoice as string);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', total: 800 });
  });

  it('changes the plan at period end: the server’s exact calls, then release after the last phase', async () => {
    const { fake, stripe, pro, starter, customer, subscription, schedule, start, end } =
      await scheduledPlanChange();
    expect(schedule).toMatchObject({
      object: 'subscription_schedule',
      status: 'active',
      customer: customer.id,
      subscription: subscription.id,
      end_behavior: 'release',
      billing_mode: { type: 'classic' },
      current_phase: { start_date: start, end_date: end },
      released_subscription: null,
      phases: [
        {
          start_date: start,
          end_date: end,
          items: [{ price: pro.id, quantity: 1 }],
          proration_behavior: 'create_prorations',
        },
      ],
    });
    expect(schedule.id).toMatch(/^sub_sched_/);
    expect((await stripe.subscriptions.retrieve(subscription.id)).schedule).toBe(schedule.id);
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toEqual(schedule);
    expect(fake.events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['subscription_schedule.created', 'customer.subscription.updated']),
    );

    const seen = fake.events.length;
    const updated = await stripe.subscriptionSchedules.update(
      schedule.id,
      phaseChange(schedule, pro.id, starter.id),
    );
    const nextEnd = shift(end, MONTH, 1);
    // With no end_date (nor duration) the last phase lasts one interval of its price.
    expect(updated.phases.map((phase) => [phase.start_date, phase.end_date])).toEqual([
      [start, end],
      [end, nextEnd],
    ]);
    expect(updated.phases[1]?.items).toEqual([
      expect.objectContaining({ price: starter.id, quantity: 1 }),
    ]);
    expect(typesSince(fake, seen)).toEqual(['subscription_schedule.updated']);
    expect(pendingItemIds(fake, customer.id)).toEqual([]);
    const unchanged = await stripe.subscriptions.retrieve(subscription.id);
    expect(firstItem(unchanged).price.id).toBe(pro.id);

    // The phase ends with the period: the renewal bills the next price, nothing prorated.
    const beforeRenewal = fake.events.length;
    await fake.advanceToPeriodEnd(subscription.id);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice'],
    });
    expect(firstItem(renewed)).toMatchObject({
      id: firstItem(subscription).id,
      price: { id: starter.id },
      current_period_start: end,
      current_period_end: nextEnd,
    });
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      total: 1900,
    });
    expect(invoice.lines.data).toHaveLength(1);
    expect(invoice.lines.data[0]).toMatchObject({
      amount: 1900,
      period: { start: end, end: nextEnd },
    });
    expect(typesSince(fake, beforeRenewal).slice(0, 3)).toEqual([
      'subscription_schedule.updated',
      'customer.subscription.updated',
      'invoice.created',
    ]);
    const transition = fake.events
      .slice(beforeRenewal)
      .find((event) => event.type === 'customer.subscription.updated');
    expect(Object.keys(transition?.data.previous_attributes ?? {})).toEqual(
      expect.arrayContaining(['items', 'latest_invoice']),
    );
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'active',
      current_phase: { start_date: end, end_date: nextEnd },
    });

    // The last phase ends: released, and the subscription goes on at the new price.
    const beforeRelease = fake.events.length;
    await fake.advanceToPeriodEnd(subscription.id);
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'released',
      released_at: nextEnd,
      released_subscription: subscription.id,
      subscription: null,
      current_phase: null,
    });
    const after = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice'],
    });
    expect(after).toMatchObject({ status: 'active', schedule: null });
    expect(firstItem(after).price.id).toBe(starter.id);
    expect(after.latest_invoice).toMatchObject({ total: 1900 });
    expect(typesSince(fake, beforeRelease).slice(0, 2)).toEqual([
      'subscription_schedule.released',
      'customer.subscription.updated',
    ]);
  });

  it('takes duration instead of iterations, which API 2025-09-30 removed', async () => {
    const { stripe, pro, starter, schedule, end } = await scheduledPlanChange();
    const params = phaseChange(schedule, pro.id, starter.id);
    const phases = params.phases ?? [];
    const withIterations = {
      ...params,
      phases: [phases[0], { ...phases[1], iterations: 1 }],
    } as Stripe.SubscriptionScheduleUpdateParams;
    const refused = await caught(stripe.subscriptionSchedules.update(schedule.id, withIterations));
    expect(refused).toMatchObject({
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'phases[1][iterations]',
    });
    const updated = await stripe.subscriptionSchedules.update(schedule.id, {
      ...params,
      phases: [
        phases[0] ?? { items: [] },
        { items: [{ price: starter.id }], duration: { interval: 'month', interval_count: 2 } },
      ],
    });
    expect(updated.phases[1]).toMatchObject({ start_date: end, end_date: shift(end, MONTH, 2) });
  });

  it('refuses what Stripe refuses', async () => {
    const { fake, stripe, pro, starter, subscription, schedule, start, end } =
      await scheduledPlanChange();
    const again = await caught(
      stripe.subscriptionSchedules.create({ from_subscription: subscription.id }),
    );
    expect(again).toMatchObject({
      statusCode: 400,
      param: 'from_subscription',
      message: `You cannot migrate a subscription that is already attached to a schedule: \`${schedule.id}\`.`,
    });
    const moved = await caught(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: pro.id }], start_date: start + DAY, end_date: end }],
      }),
    );
    expect(moved).toMatchObject({
      param: 'phases[0][start_date]',
      message: 'You can not modify the start date of the current phase.',
    });
    // `now` moves the current phase's start too (once time has passed since it began).
    await fake.advanceTime(60);
    const now = await caught(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: pro.id }], start_date: 'now', end_date: end }],
      }),
    );
    expect(now).toMatchObject({ param: 'phases[0][start_date]' });
    const undated = await caught(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: pro.id }], end_date: end }],
      }),
    );
    expect(undated).toMatchObject({ code: 'parameter_missing', param: 'phases[0][start_date]' });
    const gap = await caught(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [
          { items: [{ price: pro.id }], start_date: start, end_date: end },
          { items: [{ price: starter.id }], start_date: end + DAY },
        ],
      }),
    );
    expect(gap).toMatchObject({ statusCode: 400, param: 'phases[1][start_date]' });
    const both = await caught(
      stripe.subscriptionSchedules.update(schedule.id, {
        phases: [{ items: [{ price: pro.id }], start_date: start, end_date: end, duration: MONTH }],
      }),
    );
    expect(both).toMatchObject({ code: 'parameters_exclusive' });
    const withPhases = await caught(
      stripe.subscriptionSchedules.create({
        from_subscription: subscription.id,
        phases: [{ items: [{ price: pro.id }] }],
      }),
    );
    expect(withPhases).toMatchObject({ statusCode: 400, param: 'phases' });
    const missing = await caught(stripe.subscriptionSchedules.retrieve('sub_sched_nope'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    // Refusals change nothing.
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toEqual(schedule);
    expect(fake.events.at(-1)?.type).not.toBe('subscription_schedule.updated');
  });

  it('lets items of a scheduled subscription change (the current phase follows) but not its cancellation', async () => {
    const { fake, stripe, pro, starter, subscription, schedule } = await scheduledPlanChange();
    const business = await monthlyPrice(stripe, 'Business', 19900);
    await stripe.subscriptionSchedules.update(
      schedule.id,
      phaseChange(schedule, pro.id, starter.id),
    );

    const refused = await caught(
      stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true }),
    );
    expect(refused).toMatchObject({
      statusCode: 400,
      message: `The subscription is managed by the subscription schedule \`${schedule.id}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`,
    });

    await stripe.subscriptions.update(subscription.id, {
      items: [{ id: firstItem(subscription).id, price: business.id }],
      proration_behavior: 'none',
    });
    expect(fake.events.at(-1)?.type).toBe('subscription_schedule.updated');
    const followed = await stripe.subscriptionSchedules.retrieve(schedule.id);
    expect(followed.phases.map((phase) => phase.items[0]?.price)).toEqual([
      business.id,
      starter.id,
    ]);
    await fake.advanceToPeriodEnd(subscription.id);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice'],
    });
    expect(firstItem(renewed).price.id).toBe(starter.id);
    expect(renewed.latest_invoice).toMatchObject({ total: 1900 });
  });

  it('releases on request: the subscription stays as it is', async () => {
    const { fake, stripe, pro, starter, subscription, schedule } = await scheduledPlanChange();
    await stripe.subscriptionSchedules.update(
      schedule.id,
      phaseChange(schedule, pro.id, starter.id),
    );
    const seen = fake.events.length;
    const released = await stripe.subscriptionSchedules.release(schedule.id);
    expect(released).toMatchObject({
      status: 'released',
      subscription: null,
      released_subscription: subscription.id,
      released_at: fake.now(),
      current_phase: null,
    });
    expect(typesSince(fake, seen)).toEqual([
      'subscription_schedule.released',
      'customer.subscription.updated',
    ]);
    expect(fake.events.at(-1)?.data.previous_attributes).toEqual({ schedule: schedule.id });
    const again = await caught(stripe.subscriptionSchedules.release(schedule.id));
    expect(again).toMatchObject({
      statusCode: 400,
      message:
        'You cannot release a subscription schedule that is currently in the `released` status. It must be in one of the following statuses: `not_started`, `active`.',
    });

    await fake.advanceToPeriodEnd(subscription.id);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, {
      expand: ['latest_invoice'],
    });
    expect(renewed.schedule).toBeNull();
    expect(firstItem(renewed).price.id).toBe(pro.id);
    expect(renewed.latest_invoice).toMatchObject({ total: 4900 });
    // A released subscription can be scheduled again.
    const next = await stripe.subscriptionSchedules.create({
      from_subscription: subscription.id,
      metadata: { change: 'downgrade' },
    });
    expect(next).toMatchObject({ status: 'active', metadata: { change: 'downgrade' } });
    const tagged = await stripe.subscriptionSchedules.update(next.id, {
      metadata: { change: '', by: 'admin' },
    });
    expect(tagged.metadata).toEqual({ by: 'admin' });
  });

  it('cancels the subscription after the last phase with end_behavior=cancel', async () => {
    const { fake, stripe, subscription, schedule, end } = await scheduledPlanChange();
    await stripe.subscriptionSchedules.update(schedule.id, { end_behavior: 'cancel' });
    const canceling = await stripe.subscriptions.retrieve(subscription.id);
    expect(canceling).toMatchObject({
      status: 'active',
      cancel_at: end,
      cancel_at_period_end: false,
    });

    await fake.advanceToPeriodEnd(subscription.id);
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({
      status: 'canceled',
      ended_at: end,
    });
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'completed',
      completed_at: end,
      current_phase: null,
    });
    expect(fake.events.slice(-2).map((event) => event.type)).toEqual([
      'customer.subscription.deleted',
      'subscription_schedule.completed',
    ]);
    expect((await stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);
  });

  it('cancels schedule and subscription together on /cancel', async () => {
    const { fake, stripe, subscription, schedule } = await scheduledPlanChange();
    const canceled = await stripe.subscriptionSchedules.cancel(schedule.id, {
      invoice_now: false,
      prorate: false,
    });
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: fake.now() });
    expect(fake.events.slice(-2).map((event) => event.type)).toEqual([
      'customer.subscription.deleted',
      'subscription_schedule.canceled',
    ]);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    const again = await caught(stripe.subscriptionSchedules.cancel(schedule.id));
    expect(again).toMatchObject({ statusCode: 400 });
  });

  it('creates a subscription from phases and prorates a phase that ends within a period', async () => {
    const { fake, stripe } = await setup();
    const t0 = Date.UTC(2035, 0, 11) / 1000;
    await fake.advanceTime(t0 - fake.now());
    const pro = await monthlyPrice(stripe, 'Pro', 4900);
    const starter = await monthlyPrice(stripe, 'Starter', 1900);
    const customer = await stripe.customers.create({});
    const schedule = await stripe.subscriptionSchedules.create({
      customer: customer.id,
      start_date: 'now',
      billing_mode: { type: 'classic' },
      phases: [
        { items: [{ price: pro.id }], duration: { interval: 'day', interval_count: 10 } },
        { items: [{ price: starter.id }] },
      ],
    });
    const subscriptionId = schedule.subscription as string;
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    const start = firstItem(subscription).current_period_start;
    expect(subscription).toMatchObject({
      schedule: schedule.id,
      billing_mode: { type: 'classic' },
    });
    expect(firstItem(subscription)).toMatchObject({
      price: { id: pro.id },
      current_period_end: start + 31 * DAY,
    });
    expect(schedule.phases.map((phase) => [phase.start_date, phase.end_date])).toEqual([
      [start, start + 10 * DAY],
      [start + 10 * DAY, shift(start + 10 * DAY, MONTH, 1)],
    ]);

    await fake.advanceTime(10 * DAY);
    const switched = await stripe.subscriptions.retrieve(subscriptionId);
    expect(firstItem(switched).price.id).toBe(starter.id);
    const pending = await Promise.all(
      pendingItemIds(fake, customer.id).map((id) => stripe.invoiceItems.retrieve(id)),
    );
    // 21 of 31 days left: −4900 × 21/31 = −3319.35 → −3319; 1900 × 21/31 = 1287.10 → 1287.
    expect(pending.map((item) => item.amount).sort((a, b) => a - b)).toEqual([-3319, 1287]);
    expect(await stripe.subscriptionSchedules.retrieve(schedule.id)).toMatchObject({
      status: 'active',
      current_phase: { start_date: start + 10 * DAY },
    });
  });
});
