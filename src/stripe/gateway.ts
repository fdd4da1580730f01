import Stripe from 'stripe';
import { type BillingInterval, periodFrom } from '../billing/intervals.ts';
import { startOfNextUtcMonth } from '../billing/period.ts';
import { BillingProviderError } from '../errors.ts';
import { call, stripeAmount } from './call.ts';
import { StripeInvoicing } from './invoicing.ts';

/** One plan version as Stripe sells it: a product per plan key, a price per version and interval. */
export interface PlanVersion {
  id: string;
  key: string;
  name: string;
  version: number;
  currency: string;
}

/** One interval's price of a version. */
export interface VersionPrice {
  interval: 'MONTH' | 'YEAR';
  /** In the smallest currency unit. */
  amount: bigint;
}

/**
 * Subscriptions are billed in Stripe's classic mode, said explicitly: since API 2025-09-30 new
 * subscriptions default to flexible mode, which credits a change from what was debited (a first
 * partial month's prorated base) rather than from the price. Classic is the rule
 * billing/proration follows, so a change is billed as previewed, in partial and whole months.
 */
const CLASSIC_BILLING = { type: 'classic' } as const;

/**
 * The only code that calls Stripe. Every write carries an idempotency key derived from our own
 * ids, so a retry (stripe-node's own, a job's, a person's) never makes a second object. Stripe's
 * failures come out as BillingProviderError.
 */
export class StripeGateway {
  readonly #stripe: Stripe;
  /** The invoice run's calls. */
  readonly invoicing: StripeInvoicing;

  constructor(stripe: Stripe) {
    this.#stripe = stripe;
    this.invoicing = new StripeInvoicing(stripe);
  }

  /**
   * The product of the plan key and the price of one version and interval, made when missing.
   * Found by lookup key `<plan>_v<version>_<interval>` (a monthly price made before yearly
   * prices existed has `<plan>_v<version>`), else created under one idempotency key per price.
   */
  async ensurePlanPrice(
    plan: PlanVersion,
    price: VersionPrice,
  ): Promise<{ productId: string; priceId: string }> {
    return call(async () => {
      const productId = `billing_plan_${plan.key}`;
      await this.#stripe.products.retrieve(productId).catch(async (error: unknown) => {
        if (!isMissing(error)) throw error;
        await this.#stripe.products.create(
          { id: productId, name: plan.name, metadata: { plan_key: plan.key } },
          { idempotencyKey: `product:${plan.key}` },
        );
      });
      const monthly = price.interval === 'MONTH';
      const lookupKey = `${plan.key}_v${plan.version}_${price.interval.toLowerCase()}`;
      const legacy = `${plan.key}_v${plan.version}`;
      const existing = await this.#stripe.prices.list({
        lookup_keys: monthly ? [lookupKey, legacy] : [lookupKey],
        limit: 2,
      });
      const found = existing.data[0];
      if (found) return { productId, priceId: found.id };
      const created = await this.#stripe.prices.create(
        {
          product: productId,
          currency: plan.currency,
          unit_amount: stripeAmount(
            price.amount,
            `the ${price.interval.toLowerCase()}ly price of ${plan.name}`,
          ),
          recurring: { interval: monthly ? 'month' : 'year' },
          lookup_key: lookupKey,
          nickname: `${plan.name} v${plan.version} (${monthly ? 'monthly' : 'yearly'})`,
          metadata: {
            plan_id: plan.id,
            plan_key: plan.key,
            plan_version: String(plan.version),
            interval: price.interval,
          },
        },
        // The monthly price keeps the key it had when it was a version's only price.
        { idempotencyKey: monthly ? `price:${plan.id}` : `price:${plan.id}:year` },
      );
      return { productId, priceId: created.id };
    });
  }

  createCustomer(organization: {
    id: string;
    name: string;
    billingEmail: string | null;
  }): Promise<Stripe.Customer> {
    return call(() =>
      this.#stripe.customers.create(
        {
          name: organization.name,
          ...(organization.billingEmail ? { email: organization.billingEmail } : {}),
          metadata: { organization_id: organization.id },
        },
        { idempotencyKey: `customer:${organization.id}` },
      ),
    );
  }

  /**
   * A subscription on a plan price, its billing cycle anchored to the next 1st 00:00 UTC. A
   * customer with a payment method (invoice_settings.default_payment_method, or a legacy
   * default_source) is charged automatically. One without is billed by e-mail
   * (collection_method=send_invoice): each invoice is payable on Stripe's hosted page within
   * `daysUntilDue` days (STRIPE_INVOICE_DAYS_UNTIL_DUE; 30 when not given) and the subscription
   * is active at once. Charged automatically, Stripe would leave it `incomplete` and end it
   * (`incomplete_expired`) 23 hours later, putting the organization back on the free plan.
   */
  createSubscription(input: {
    subscriptionId: string;
    organizationId: string;
    customerId: string;
    priceId: string;
    /** The price's interval: a yearly subscription is anchored to the 1st twelve months on. */
    interval: BillingInterval;
    now: Date;
    daysUntilDue?: number;
  }): Promise<Stripe.Subscription> {
    return call(async () => {
      const customer = await this.#stripe.customers.retrieve(input.customerId);
      const canBeCharged =
        !customer.deleted &&
        Boolean(customer.invoice_settings?.default_payment_method || customer.default_source);
      return this.#stripe.subscriptions.create(
        {
          customer: input.customerId,
          items: [{ price: input.priceId }],
          billing_cycle_anchor: unix(periodFrom(input.now, input.interval).end),
          proration_behavior: 'create_prorations',
          billing_mode: CLASSIC_BILLING,
          ...(canBeCharged
            ? {}
            : {
                collection_method: 'send_invoice' as const,
                days_until_due: input.daysUntilDue ?? 30,
              }),
          metadata: {
            organization_id: input.organizationId,
            subscription_id: input.subscriptionId,
          },
        },
        { idempotencyKey: `subscription:${input.subscriptionId}` },
      );
    });
  }

  retrieveSubscription(id: string): Promise<Stripe.Subscription> {
    return call(() => this.#stripe.subscriptions.retrieve(id));
  }

  /**
   * Moves the subscription item to another price at once, prorated as of `prorationDate` and
   * invoiced at once. A declined payment of the proration refuses the change (402) instead of
   * half-making it.
   */
  changePrice(input: {
    stripeSubscriptionId: string;
    itemId: string;
    priceId: string;
    prorationDate: Date;
    idempotencyKey: string;
  }): Promise<Stripe.Subscription> {
    return call(() =>
      this.#stripe.subscriptions.update(
        input.stripeSubscriptionId,
        {
          items: [{ id: input.itemId, price: input.priceId }],
          proration_behavior: 'always_invoice',
          proration_date: unix(input.prorationDate),
          payment_behavior: 'error_if_incomplete',
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
  }

  setCancelAtPeriodEnd(
    stripeSubscriptionId: string,
    cancel: boolean,
    idempotencyKey: string,
  ): Promise<Stripe.Subscription> {
    return call(() =>
      this.#stripe.subscriptions.update(
        stripeSubscriptionId,
        { cancel_at_period_end: cancel },
        { idempotencyKey },
      ),
    );
  }

  /**
   * Ends the subscription now. Stripe ignores idempotency keys on DELETE: a retry after a lost
   * answer is refused (404 "No such subscription": Stripe answers a canceled subscription as
   * missing), which is this operation done, so it answers the subscription as Stripe has it.
   */
  cancelNow(stripeSubscriptionId: string): Promise<Stripe.Subscription> {
    return call(() =>
      this.#stripe.subscriptions.cancel(stripeSubscriptionId).catch(async (error: unknown) => {
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
        const current = await this.#stripe.subscriptions.retrieve(stripeSubscriptionId);
        if (current.status !== 'canceled') throw error;
        return current;
      }),
    );
  }

  /**
   * A change of price at the end of the current period, made by Stripe itself at the renewal
   * (a subscription schedule): the current price to the period's end, then the next one for an
   * interval, after which the schedule releases the subscription to go on by itself. Until then
   * Stripe's price stays the one paid for, so an upgrade in between is prorated from it; at the
   * renewal nothing is prorated and the invoice bills the next price.
   */
  scheduleNextPrice(input: {
    stripeSubscriptionId: string;
    /** The schedule already managing the subscription, if any (a change scheduled before). */
    scheduleId: string | null;
    currentPriceId: string;
    nextPriceId: string;
    interval: 'MONTH' | 'YEAR';
    idempotencyKey: string;
  }): Promise<Stripe.SubscriptionSchedule> {
    return call(async () => {
      const schedule = input.scheduleId
        ? await this.#stripe.subscriptionSchedules.retrieve(input.scheduleId)
        : await this.#stripe.subscriptionSchedules.create(
            { from_subscription: input.stripeSubscriptionId },
            { idempotencyKey: `${input.idempotencyKey}:schedule` },
          );
      const current = schedule.current_phase ?? schedule.phases[0];
      if (!current) throw new Error(`subscription schedule ${schedule.id} has no current phase`);
      return this.#stripe.subscriptionSchedules.update(
        schedule.id,
        {
          end_behavior: 'release',
          proration_behavior: 'none',
          phases: [
            {
              items: [{ price: input.currentPriceId, quantity: 1 }],
              start_date: current.start_date,
              end_date: current.end_date,
            },
            {
              items: [{ price: input.nextPriceId, quantity: 1 }],
              duration: { interval: input.interval === 'YEAR' ? 'year' : 'month' },
            },
          ],
        },
        { idempotencyKey: `${input.idempotencyKey}:phases` },
      );
    });
  }

  /** Ends a schedule's hold on its subscription, which keeps its current price and period. */
  releaseSchedule(
    scheduleId: string,
    idempotencyKey: string,
  ): Promise<Stripe.SubscriptionSchedule> {
    return call(() =>
      this.#stripe.subscriptionSchedules.release(scheduleId, {}, { idempotencyKey }),
    );
  }

  /** A Checkout session whose subscription is anchored to the 1st 00:00 UTC, like provisioning's. */
  createCheckoutSession(input: {
    organizationId: string;
    customerId: string;
    priceId: string;
    interval: BillingInterval;
    trialDays: number;
    successUrl: string;
    cancelUrl: string;
    idempotencyKey: string;
    now: Date;
  }): Promise<Stripe.Checkout.Session> {
    const timing = checkoutTiming(input.now, input.trialDays, input.interval);
    return call(() =>
      this.#stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: input.customerId,
          client_reference_id: input.organizationId,
          line_items: [{ price: input.priceId, quantity: 1 }],
          subscription_data: {
            ...(input.trialDays > 0 ? { trial_period_days: input.trialDays } : {}),
            billing_cycle_anchor: unix(timing.anchor),
            billing_mode: CLASSIC_BILLING,
            metadata: { organization_id: input.organizationId },
          },
          expires_at: unix(timing.expiresAt),
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          metadata: { organization_id: input.organizationId },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
  }

  /**
   * A customer portal session. Stripe refuses one until the portal's settings were saved once in
   * its Dashboard, in the mode of the key: that refusal comes out as BillingProviderError
   * `portal_not_configured`, saying what the operator must configure.
   */
  createPortalSession(
    customerId: string,
    returnUrl: string,
  ): Promise<Stripe.BillingPortal.Session> {
    return call(() =>
      this.#stripe.billingPortal.sessions
        .create({ customer: customerId, return_url: returnUrl })
        .catch((error: unknown) => {
          throw portalNotConfigured(error) ?? error;
        }),
    );
  }

  /** For the webhook sidecar: the event, if the signature over the raw body is right and fresh. */
  verifyEvent(rawBody: Buffer, signature: string, secret: string): Stripe.Event {
    return this.#stripe.webhooks.constructEvent(rawBody, signature, secret, 300);
  }
}

function unix(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Stripe refuses portal sessions until the portal's settings are saved once per mode: said as
 * what the operator must do, or null for any other failure.
 */
function portalNotConfigured(error: unknown): BillingProviderError | null {
  const unconfigured =
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    /default configuration has not been created|save your customer portal settings/i.test(
      error.message,
    );
  if (!unconfigured) return null;
  const mode = /\blive mode\b/i.test(error.message) ? 'live' : 'test';
  return new BillingProviderError(
    `The Stripe customer portal is not configured: save its settings once in the Stripe Dashboard → Settings → Billing → Customer portal, in ${mode} mode (the mode of STRIPE_SECRET_KEY). Stripe said: ${error.message}`,
    'portal_not_configured',
  );
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing'
  );
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * When a Checkout session expires and where its subscription's cycle is anchored. The anchor is
 * the 1st 00:00 UTC after the trial ends (Stripe bills the stretch from the trial's end, or from
 * sign-up, to the anchor prorated). It is fixed when the session is made, while the customer
 * completes it later, so the session expires before the trial could end past the anchor: a
 * minute before it, between Stripe's bounds of 30 minutes and 24 hours. Only a session opened in
 * the last half hour before the 1st (less its trial) anchors a month later.
 */
export function checkoutTiming(
  now: Date,
  trialDays: number,
  interval: BillingInterval = 'MONTH',
): { anchor: Date; expiresAt: Date } {
  const trial = trialDays * DAY;
  const trialEnd = new Date(now.getTime() + trial);
  // A yearly anchor is eleven months or more after the trial, whenever within Stripe's 24
  // hours the customer pays: the session stays open that long.
  if (interval === 'YEAR') {
    return { anchor: periodFrom(trialEnd, 'YEAR').end, expiresAt: new Date(now.getTime() + DAY) };
  }
  const firstAnchor = startOfNextUtcMonth(trialEnd);
  const expiresAt = new Date(
    Math.min(
      Math.max(firstAnchor.getTime() - trial - MINUTE, now.getTime() + 30 * MINUTE),
      now.getTime() + DAY,
    ),
  );
  return { anchor: startOfNextUtcMonth(new Date(expiresAt.getTime() + trial)), expiresAt };
}
