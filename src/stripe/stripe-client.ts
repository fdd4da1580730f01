import Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { pacedHttpClient, StripePacer } from './pacing.ts';

/**
 * The Stripe API version this code is written against (stripe-node's own, pinned with it). Webhook
 * events must be rendered in it too: the webhook route refuses any other.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export interface StripeConnection {
  client: Stripe;
  /** Lets go of the pacer's Redis connection (bounded: a dead Redis never holds shutdown). */
  close(): Promise<void>;
}

/**
 * The stripe-node client, or null in ledger-only mode. STRIPE_API_BASE points it at another
 * Stripe-compatible server (the project's fake in tests and demos). stripe-node retries network
 * failures, 409, 429 and 5xx with the same idempotency key; requests are paced under
 * STRIPE_MAX_REQUESTS_PER_SECOND and STRIPE_MAX_REQUESTS_PER_SECOND_PER_ENDPOINT (defaults from
 * the key's mode), shared by every instance through `redisUrl` when set.
 */
export function createStripeClient(
  config: Config['stripe'],
  options: { redisUrl?: string | undefined; log?: Logger } = {},
): StripeConnection | null {
  if (!config) return null;
  const base = config.apiBase ? new URL(config.apiBase) : null;
  const pacer = new StripePacer(config.pacing, {
    redisUrl: options.redisUrl,
    scope: config.secretKey,
    ...(options.log ? { log: options.log } : {}),
  });
  const client = new Stripe(config.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: config.maxNetworkRetries,
    timeout: config.timeoutMs,
    appInfo: { name: 'graphql-billing-server' },
    httpClient: pacedHttpClient(pacer),
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  return { client, close: () => pacer.close() };
}
