import type { AddressInfo } from 'node:net';
import { completeCheckout } from './billing/checkout.ts';
import { collectInvoices } from './billing/collection.ts';
import {
  attachPaymentMethod,
  type CardBehavior,
  detachPaymentMethod,
  setNewCustomerPaymentMethod,
  withCheckoutCard,
} from './billing/customers.ts';
import { attemptPayment, payOnHostedPage } from './billing/payments.ts';
import { currentPeriod } from './billing/periods.ts';
import { advanceTime } from './billing/renewal.ts';
import { type DropRule, type FailRule, Faults } from './faults.ts';
import { IdempotencyStore } from './idempotency.ts';
import { newId } from './ids.ts';
import { checkoutSessionById, customerById, invoiceById, subscriptionById } from './lookup.ts';
import { servePage } from './pages.ts';
import { type RandomFailRule, RandomFaults } from './random-faults.ts';
import { RateLimiter, type RateLimits } from './rate-limit.ts';
import { routes } from './routes.ts';
import {
  type CrashRule,
  createFakeServer,
  type DelayRule,
  ExecutionFaults,
  type LoggedRequest,
} from './server.ts';
import { State } from './state.ts';
import type { StripeEvent } from './types.ts';
import { type Delivery, type PendingRetry, Webhooks } from './webhooks.ts';

export type { CardBehavior } from './billing/customers.ts';
export type { DropRule, FailRule } from './faults.ts';
export type { RandomFailRule } from './random-faults.ts';
export { type RateLimits, STRIPE_RATE_LIMITS } from './rate-limit.ts';
export type { CrashRule, DelayRule } from './server.ts';
export type { StripeEvent } from './types.ts';
export type { Delivery, PendingRetry } from './webhooks.ts';
export { signatureHeader } from './webhooks.ts';

export interface StripeFakeOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Every API request, any mode: more than this in any second answer 429 (`global-rate`). */
  rateLimitPerSecond?: number;
  /** Stripe's own limits, per mode and endpoint (`STRIPE_RATE_LIMITS`: its figures); off unless given. */
  rateLimits?: RateLimits;
  /**
   * Whether customers created through the API come with a working card as their
   * invoice_settings.default_payment_method (default true, so that every customer pays).
   * false is Stripe's own behaviour: a new customer has no payment method.
   */
  customersHavePaymentMethods?: boolean;
  /**
   * The webhook endpoint's API version, which every delivered event's `api_version` names
   * (default the fake's, 2026-10-28.endive). Only the label changes: data keeps the fake's shape.
   */
  eventApiVersion?: string;
}

/** The maps behind the fake's API, for tests that need to look or poke. */
export interface StripeFakeState {
  customers: State['customers'];
  products: State['products'];
  prices: State['prices'];
  subscriptions: State['subscriptions'];
  invoices: State['invoices'];
  invoiceItems: State['invoiceItems'];
  checkoutSessions: State['checkoutSessions'];
  subscriptionSchedules: State['subscriptionSchedules'];
}

export interface StripeFake {
  url: string;
  port: number;
  host: '127.0.0.1';
  /** stripe-node options to talk to this fake: `new Stripe(key, { ...fake.clientOptions })`. */
  clientOptions: { host: string; port: number; protocol: 'http' };
  webhookSecret: string;
  setWebhookUrl(url: string | null): void;
  /** The next `times` (default 1) matching requests answer 429/500 without doing anything. */
  failNext(rule: FailRule): void;
  /** The next `times` (default 1) matching requests lose their connection, unanswered and undone. */
  dropNext(rule: DropRule): void;
  /**
   * The next `times` (default 1) matching requests are carried out (their idempotency key saved
   * with the real answer), but the client gets a 500: Stripe's answer lost on the way back.
   */
  loseNext(rule: DropRule): void;
  /** Every matching request fails with `probability` (seeded, deterministic); null stops it. */
  failRandomly(rule: RandomFailRule | null): void;
  /**
   * The next `times` (default 1) matching requests execute `ms` longer (real time); meanwhile
   * another request with the same idempotency key answers 409 `idempotency_key_in_use`.
   */
  delayNext(rule: DelayRule): void;
  /**
   * The next `times` (default 1) matching requests begin executing, then fail with a 500 before
   * changing anything. Like any result of an endpoint that began executing, the 500 is saved
   * under the idempotency key: a retry with the key gets it again; only a new key runs afresh.
   */
  crashNext(rule: CrashRule): void;
  /**
   * Saves the customer portal settings (the Dashboard's Settings → Billing → Customer portal), so
   * that billing portal sessions can be made; until then Stripe refuses them. Returns the id of
   * the default configuration (the same one when called again).
   */
  configurePortal(): string;
  /** Sets (or with null lifts) the limit of API requests per sliding second; over it, 429. */
  setRateLimit(perSecond: number | null): void;
  /** Replaces (or with null lifts) the modelled Stripe limits (`rateLimits`). */
  setRateLimits(limits: RateLimits | null): void;
  /** How many requests the rate limiter refused so far. */
  readonly rateLimited: number;
  /** Payments of this customer's invoices fail with card_declined until set back to false. */
  setCardDeclined(customerId: string, declined: boolean): void;
  /** What customers created from now on pay with: a card (declining or not), or null for none. */
  setNewCustomerPaymentMethod(card: CardBehavior | null): void;
  /**
   * Gives the customer a new card as its invoice_settings.default_payment_method (emits
   * `customer.updated`); `declines` makes its charges fail with card_declined. Returns its id.
   */
  attachPaymentMethod(customerId: string, card?: CardBehavior): Promise<string>;
  /** Takes the customer's default payment method away (`customer.updated`). */
  detachPaymentMethod(customerId: string): Promise<void>;
  /** The customer pays an open invoice on its hosted page, with a card typed in there. */
  payInvoiceOnHostedPage(invoiceId: string): Promise<void>;
  webhooks: {
    duplicate(times: number): void;
    delay(ms: number): void;
    hold(): void;
    release(order?: 'as-sent' | 'reverse'): Promise<void>;
    /** Deliveries queued so far and retries due now, attempted (not held ones, not later retries). */
    flush(): Promise<void>;
    /**
     * An API request's events are delivered (first attempts awaited) before its answer is
     * written, and `lagMs` more pass before it is.
     */
    beforeResponse(on?: boolean, lagMs?: number): void;
    /** Every batch of events goes out in a seeded random order; null: in order again. */
    shuffle(seed: number | null): void;
    /** Failed deliveries are retried on the fake clock (5 min, doubling, up to 3 days); off drops them. */
    retry(on?: boolean): void;
    pendingRetries(): PendingRetry[];
    /** Sets the endpoint's API version for events made from now on (retries keep theirs). */
    setApiVersion(version: string): void;
    readonly apiVersion: string;
    deliveries: Delivery[];
  };
  events: StripeEvent[];
  requests: LoggedRequest[];
  now(): number;
  advanceTime(seconds: number): Promise<void>;
  advanceToPeriodEnd(subscriptionId: string): Promise<void>;
  completeCheckoutSession(sessionId: string): Promise<{ subscriptionId: string }>;
  retryInvoicePayment(invoiceId: string): Promise<void>;
  /**
   * Charges now every invoice awaiting automatic collection (open, auto_advance,
   * charge_automatically, not yet attempted), however recently finalized; returns their ids.
   */
  collectDueInvoices(): Promise<string[]>;
  state: StripeFakeState;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const state = new State();
  const webhookSecret = options.webhookSecret ?? 'whsec_test_fake';
  const webhooks = new Webhooks({
    url: options.webhookUrl ?? null,
    secret: webhookSecret,
    now: () => state.now(),
    ...(options.eventApiVersion ? { apiVersion: options.eventApiVersion } : {}),
  });
  const faults = new Faults();
  const randomFaults = new RandomFaults();
  const execution = new ExecutionFaults();
  const limiter = new RateLimiter(options.rateLimitPerSecond ?? null, options.rateLimits ?? null);
  const requests: LoggedRequest[] = [];
  setNewCustomerPaymentMethod(state, options.customersHavePaymentMethods === false ? null : {});

  /** Test-clock work: one pinned "now", events with no request, delivered when done. */
  const act = <T>(fn: () => T): T => {
    try {
      return state.clock.pin(() => state.events.attribute({ id: null, idempotency_key: null }, fn));
    } finally {
      webhooks.publish(state.events.drain());
    }
  };

  const server = createFakeServer({
    state,
    routes,
    faults,
    randomFaults,
    limiter,
    idempotency: new IdempotencyStore(() => state.now()),
    execution,
    webhooks,
    requests,
    pages: (req, res, path) =>
      servePage(
        state,
        (id) =>
          act(() =>
            withCheckoutCard(state, () => completeCheckout(state, checkoutSessionById(state, id))),
          ),
        req,
        res,
        path,
      ),
  });
  // Before the server's own handler: lets webhooks.beforeResponse hold an answer back.
  server.prependListener('request', (_req, res) => webhooks.watchAnswer(res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.url = `http://${HOST}:${port}`;

  return {
    url: state.url,
    port,
    host: HOST,
    clientOptions: { host: HOST, port, protocol: 'http' },
    webhookSecret,
    setWebhookUrl: (url) => {
      webhooks.url = url;
    },
    failNext: (rule) => faults.fail(rule),
    dropNext: (rule) => faults.drop(rule),
    loseNext: (rule) => faults.lose(rule),
    failRandomly: (rule) => randomFaults.set(rule),
    delayNext: (rule) => execution.delay(rule),
    crashNext: (rule) => execution.crash(rule),
    configurePortal: () => {
      state.portalConfiguration ??= newId('bpc_');
      return state.portalConfiguration;
    },
    setRateLimit: (perSecond) => limiter.set(perSecond),
    setRateLimits: (limits) => limiter.setLimits(limits),
    get rateLimited() {
      return limiter.refused;
    },
    setCardDeclined: (customerId, declined) => {
      if (declined) state.declinedCustomers.add(customerId);
      else state.declinedCustomers.delete(customerId);
    },
    setNewCustomerPaymentMethod: (card) => setNewCustomerPaymentMethod(state, card),
    attachPaymentMethod: async (customerId, card = {}) =>
      act(() => attachPaymentMethod(state, customerById(state, customerId), card)),
    detachPaymentMethod: async (customerId) =>
      act(() => detachPaymentMethod(state, customerById(state, customerId))),
    payInvoiceOnHostedPage: async (invoiceId) =>
      act(() => payOnHostedPage(state, invoiceById(state, invoiceId))),
    webhooks: {
      duplicate: (times) => webhooks.duplicate(times),
      delay: (ms) => webhooks.delay(ms),
      hold: () => webhooks.hold(),
      release: (order) => webhooks.release(order),
      flush: () => webhooks.flush(),
      beforeResponse: (on, lagMs) => webhooks.beforeResponse(on, lagMs),
      shuffle: (seed) => webhooks.shuffle(seed),
      retry: (on) => webhooks.retry(on),
      pendingRetries: () => webhooks.pendingRetries(),
      setApiVersion: (version) => {
        webhooks.apiVersion = version;
      },
      get apiVersion() {
        return webhooks.apiVersion;
      },
      deliveries: webhooks.deliveries,
    },
    events: state.events.all,
    requests,
    now: () => state.now(),
    advanceTime: async (seconds) => act(() => advanceTime(state, seconds)),
    advanceToPeriodEnd: async (subscriptionId) =>
      act(() => {
        const { end } = currentPeriod(subscriptionById(state, subscriptionId));
        advanceTime(state, end + 1 - state.now());
      }),
    completeCheckoutSession: async (sessionId) =>
      act(() =>
        withCheckoutCard(state, () => ({
          subscriptionId: completeCheckout(state, checkoutSessionById(state, sessionId)).id,
        })),
      ),
    retryInvoicePayment: async (invoiceId) =>
      act(() => {
        attemptPayment(state, invoiceById(state, invoiceId));
      }),
    collectDueInvoices: async () => act(() => collectInvoices(state, null)),
    state,
    stop: async () => {
      webhooks.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // stripe-node keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
      });
    },
  };
}
