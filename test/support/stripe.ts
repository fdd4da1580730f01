import type { StripeFake } from '@graphql-billing/stripe-fake';

/** What a server needs to talk to a Stripe fake; jobs poll often so that webhooks land quickly. */
export function stripeEnv(fake: StripeFake, extra: Record<string, string> = {}) {
  return {
    STRIPE_SECRET_KEY: 'sk_test_billing_server',
    STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
    STRIPE_API_BASE: fake.url,
    STRIPE_MAX_NETWORK_RETRIES: '2',
    JOBS_POLL_SECONDS: '0.5',
    // The fake has no rate limit unless a test sets one (then it sets the pace too).
    STRIPE_MAX_REQUESTS_PER_SECOND: '1000',
    ...extra,
  };
}
