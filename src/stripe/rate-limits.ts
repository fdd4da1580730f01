/**
 * Stripe's documented rate limits (https://docs.stripe.com/rate-limits), per account and per
 * mode (test and live keys are limited apart): at most 100 API requests a second in live mode and
 * 25 in test mode (sandboxes) overall, and 25 a second to any one endpoint ("each named API
 * operation": `POST /v1/invoices` and `POST /v1/invoices/{id}/finalize` are two endpoints, and
 * `GET /v1/invoices/{id}` for different ids is one) unless the docs name another figure.
 */
const STRIPE_RATE_LIMITS = {
  overall: { test: 25, live: 100 },
  perEndpoint: 25,
} as const;

/**
 * What we pace to by default: 80 % of each limit. The margin absorbs the jitter between the
 * moment a request leaves and the moment Stripe counts it, and traffic we do not pace (the
 * Dashboard, the CLI, other integrations on the same account).
 */
const HEADROOM = 0.8;

type StripeMode = 'test' | 'live';

/** `sk_live_` and `rk_live_` keys are live mode; every other key (`sk_test_`, ...) test mode. */
function stripeModeOf(secretKey: string): StripeMode {
  return /^(sk|rk)_live_/.test(secretKey) ? 'live' : 'test';
}

export interface StripePacing {
  mode: StripeMode;
  /** Requests a second to Stripe, all endpoints together, across every instance sharing Redis. */
  perSecond: number;
  /** Requests a second to any one endpoint, across every instance sharing Redis. */
  perEndpointPerSecond: number;
}

/**
 * The pacing for a key: the mode's limits with headroom (test: 20 overall and 20 per endpoint;
 * live: 80 overall, 20 per endpoint), or what the settings say. An overall pace set above the
 * mode's documented limit means the account's limits were raised (Stripe does that on request)
 * or the server is not Stripe (a fake): then the per-endpoint pace follows it unless set too.
 */
export function stripePacing(
  secretKey: string,
  settings: { perSecond?: number | undefined; perEndpointPerSecond?: number | undefined },
): StripePacing {
  const mode = stripeModeOf(secretKey);
  const perSecond = settings.perSecond ?? Math.floor(STRIPE_RATE_LIMITS.overall[mode] * HEADROOM);
  const endpointDefault = Math.floor(STRIPE_RATE_LIMITS.perEndpoint * HEADROOM);
  const raised = perSecond > STRIPE_RATE_LIMITS.overall[mode];
  const perEndpointPerSecond =
    settings.perEndpointPerSecond ?? (raised ? perSecond : Math.min(perSecond, endpointDefault));
  return { mode, perSecond, perEndpointPerSecond };
}

/**
 * The endpoint a request counts against: its method and path, query left out and ids replaced
 * by `{id}` (`POST /v1/invoices/{id}/finalize`). An id is a segment with a prefix and an
 * underscore whose rest has a digit or a capital (`in_1Mt…`, `cus_Q8…`); resource and action
 * names are lower-case letters and underscores only (`billing_portal`, `finalize`).
 */
export function endpointOf(method: string, path: string): string {
  const [bare = ''] = path.split('?');
  const segments = bare
    .split('/')
    .map((segment, index) =>
      index > 1 && /^[a-z]+_/.test(segment) && /[0-9A-Z]/.test(segment) ? '{id}' : segment,
    );
  return `${method.toUpperCase()} ${segments.join('/')}`;
}
