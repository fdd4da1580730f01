import {
  type StripeFake,
  type StripeFakeOptions,
  startStripeFake,
} from '@graphql-billing/stripe-fake';
import { createIsolatedStorage } from './database.ts';
import { startTestServer, type TestServer } from './server.ts';

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

/** A server and the Stripe fake it talks to, each of its own. */
export interface StripeTestServer {
  fake: StripeFake;
  server: TestServer;
  stop(): Promise<void>;
}

/**
 * A Stripe fake and a server on a database of its own (plans remember their Stripe price ids,
 * so each fake needs its own), the server's clock following the fake's test clock so that
 * periods agree when it moves, and the fake's webhooks delivered to the server unless told not.
 */
export async function startStripeServer(
  options: { fake?: StripeFakeOptions; webhooks?: boolean } = {},
): Promise<StripeTestServer> {
  const fake = await startStripeFake(options.fake);
  const storage = await createIsolatedStorage();
  const server = await startTestServer(stripeEnv(fake), storage, {
    now: () => new Date(fake.now() * 1000),
  });
  if (options.webhooks !== false) fake.setWebhookUrl(`${server.url}/webhooks/stripe`);
  return {
    fake,
    server,
    async stop() {
      await server.stop();
      await storage.drop();
      await fake.stop();
    },
  };
}
