import type { FormObject } from './form.ts';
import type { StripeEvent } from './types.ts';

/**
 * Stripe's rate limits (https://docs.stripe.com/rate-limits), each optional (`null` or left out:
 * not enforced). Counted per mode: a test key's requests never use a live key's budget.
 */
export interface RateLimits {
  /** API requests per sliding second with a test-mode key (any key but a live one). */
  test?: number | null;
  /** API requests per sliding second with a live-mode key (`sk_live_`, `rk_live_`). */
  live?: number | null;
  /**
   * Requests per sliding second to any one endpoint: its method and path, ids left out
   * (`POST /v1/invoices/{id}/finalize`), "unless otherwise noted".
   */
  perEndpoint?: number | null;
  /** Endpoints with a figure of their own, e.g. `{ 'POST /v1/invoiceitems': 5 }`. */
  endpoints?: Record<string, number | null>;
  /** New invoices API requests may give one subscription in any sliding minute. */
  subscriptionInvoicesPerMinute?: number | null;
  /** ... and in any sliding day (real time, like every limit here). */
  subscriptionInvoicesPerDay?: number | null;
}

/**
 * Stripe's documented figures: 25 requests a second overall in test mode (sandboxes), 100 in
 * live mode, 25 to one endpoint, 10 new invoices per subscription a minute and 20 a day.
 */
export const STRIPE_RATE_LIMITS = {
  test: 25,
  live: 100,
  perEndpoint: 25,
  subscriptionInvoicesPerMinute: 10,
  subscriptionInvoicesPerDay: 20,
} as const satisfies RateLimits;

/** Stripe's `Stripe-Rate-Limited-Reason` values for the limits the fake models. */
type RateLimitReason = 'global-rate' | 'endpoint-rate' | 'resource-specific';

export interface RateLimitRefusal {
  reason: RateLimitReason;
  message: string;
}

export interface LimitedRequest {
  method: string;
  path: string;
  raw: FormObject;
  /** The API key the request carries ('' without one). */
  apiKey: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const LEARN_MORE = 'You can learn more about rate limits here https://stripe.com/docs/rate-limits.';

/**
 * Stripe's rate limiters, in real time (not the fake clock). Only admitted requests fill the
 * windows, so a client that backs off gets through once older requests age out; a request is
 * admitted when every limit it falls under has room, and then counts against each of them.
 */
export class RateLimiter {
  /** Requests refused so far. */
  refused = 0;
  /** `setRateLimit`: every API request, whatever its mode. */
  private anyMode: number | null = null;
  private limits: RateLimits = {};
  private readonly windows = new Map<string, number[]>();
  /** Where the next look at the event log starts (to count new invoices per subscription). */
  private seenEvents = 0;
  /**
   * When the last request was admitted: the time given to invoices seen since (made by a request
   * admitted at or before it, seen no later than now: off by at most a request's own run time).
   */
  private lastAdmitted = 0;

  constructor(perSecond: number | null = null, limits: RateLimits | null = null) {
    this.set(perSecond);
    this.setLimits(limits);
  }

  /** `null` switches the limit of every request (any mode) off. */
  set(perSecond: number | null): void {
    check('setRateLimit', perSecond);
    this.anyMode = perSecond;
  }

  /** Replaces Stripe's modelled limits; `null` switches them all off. */
  setLimits(limits: RateLimits | null): void {
    const next = limits ?? {};
    const { endpoints, ...figures } = next;
    for (const figure of [...Object.values(figures), ...Object.values(endpoints ?? {})]) {
      check('setRateLimits', figure);
    }
    this.limits = { ...next, endpoints: { ...next.endpoints } };
  }

  /**
   * Null when the request may proceed (it is counted); else why not. `events`: the fake's event
   * log, from which new invoices of subscriptions made by admitted requests are counted (a
   * request's events are made after its admission, and seen at the next request's).
   */
  refusal(
    request: LimitedRequest,
    events: readonly StripeEvent[],
    now = performance.now(),
  ): RateLimitRefusal | null {
    this.countInvoices(events);
    const mode = /^(sk|rk)_live_/.test(request.apiKey) ? 'live' : 'test';
    const endpoint = endpointOf(request.method, request.path);
    const endpointLimit =
      this.limits.endpoints?.[endpoint] !== undefined
        ? this.limits.endpoints[endpoint]
        : this.limits.perEndpoint;
    const endpointRefusal: RateLimitRefusal = {
      reason: 'endpoint-rate',
      message: `Request rate limit exceeded for ${endpoint}: too many requests to this endpoint in a short time. ${LEARN_MORE}`,
    };
    const checks: Check[] = [
      { key: 'any', span: SECOND, limit: this.anyMode, refusal: globalRefusal },
      { key: mode, span: SECOND, limit: this.limits[mode], refusal: globalRefusal },
      { key: `${mode} ${endpoint}`, span: SECOND, limit: endpointLimit, refusal: endpointRefusal },
    ];
    const subscription = invoicedSubscription(request);
    if (subscription) {
      // Counted when the invoices exist (countInvoices), not when a request might make one.
      const refusal: RateLimitRefusal = {
        reason: 'resource-specific',
        message: `Too many new invoices for subscription ${subscription} in a short time. ${LEARN_MORE}`,
      };
      const key = `invoices ${subscription}`;
      const { subscriptionInvoicesPerMinute: perMinute, subscriptionInvoicesPerDay: perDay } =
        this.limits;
      checks.push({ key, span: MINUTE, limit: perMinute, refusal, counted: false });
      checks.push({ key, span: DAY, limit: perDay, refusal, counted: false });
    }
    const enforced = checks.filter((check) => check.limit !== null && check.limit !== undefined);
    const over = enforced.find(
      (check) => this.inWindow(check.key, check.span, now) >= (check.limit ?? 0),
    );
    if (over) {
      this.refused += 1;
      return over.refusal;
    }
    for (const check of enforced) if (check.counted !== false) this.record(check.key, now);
    this.lastAdmitted = now;
    return null;
  }

  /** Times in the window of `key` newer than `span` ms before `now`, dropping older ones. */
  private inWindow(key: string, span: number, now: number): number {
    const times = this.windows.get(key);
    if (!times) return 0;
    // Invoice windows keep a day: count the part within `span` without dropping it.
    const keep = key.startsWith('invoices ') ? DAY : span;
    while ((times[0] ?? now) <= now - keep) times.shift();
    let count = 0;
    for (let i = times.length - 1; i >= 0 && (times[i] as number) > now - span; i--) count++;
    return count;
  }

  private record(key: string, at: number): void {
    const times = this.windows.get(key);
    if (times) times.push(at);
    else this.windows.set(key, [at]);
  }

  /** New invoices of subscriptions that API requests made since the last look. */
  private countInvoices(events: readonly StripeEvent[]): void {
    const { subscriptionInvoicesPerMinute: perMinute, subscriptionInvoicesPerDay: perDay } =
      this.limits;
    if ((perMinute ?? null) === null && (perDay ?? null) === null) {
      this.seenEvents = events.length;
      return;
    }
    for (; this.seenEvents < events.length; this.seenEvents++) {
      const event = events[this.seenEvents];
      if (event?.type !== 'invoice.created' || !event.request.id) continue;
      const parent = event.data.object.parent as
        | { subscription_details?: { subscription?: string } | null }
        | null
        | undefined;
      const subscription = parent?.subscription_details?.subscription;
      if (subscription) this.record(`invoices ${subscription}`, this.lastAdmitted);
    }
  }
}

interface Check {
  key: string;
  /** The window, in ms. */
  span: number;
  limit: number | null | undefined;
  refusal: RateLimitRefusal;
  /** false: an admitted request is not what this limit counts. */
  counted?: false;
}

const globalRefusal: RateLimitRefusal = {
  reason: 'global-rate',
  message: `Request rate limit exceeded. ${LEARN_MORE}`,
};

function check(what: string, value: number | null | undefined): void {
  if (value !== null && value !== undefined && !(value >= 0)) {
    throw new Error(`${what}: expected a number ≥ 0 or null, got ${value}`);
  }
}

/**
 * The endpoint a request counts against: method and path, ids replaced by `{id}`. An id is a
 * segment with a prefix and an underscore and a digit or capital after it (`in_1Mt…`); resource
 * and action names are lower-case letters and underscores only (`billing_portal`, `finalize`).
 */
function endpointOf(method: string, path: string): string {
  const segments = path
    .split('/')
    .map((segment, index) =>
      index > 1 && /^[a-z]+_/.test(segment) && /[0-9A-Z]/.test(segment) ? '{id}' : segment,
    );
  return `${method.toUpperCase()} ${segments.join('/')}`;
}

/**
 * The subscription a request may give a new invoice: a POST to the subscription itself (an
 * update can invoice prorations at once) or a POST /v1/invoices naming it. Stripe counts the
 * invoices; the fake refuses such a request once the subscription's are used up.
 */
function invoicedSubscription(request: LimitedRequest): string | null {
  if (request.method !== 'POST') return null;
  const match = /^\/v1\/subscriptions\/([^/]+)/.exec(request.path);
  if (match?.[1]) return decodeURIComponent(match[1]);
  if (request.path === '/v1/invoices' && typeof request.raw.subscription === 'string') {
    return request.raw.subscription;
  }
  return null;
}
