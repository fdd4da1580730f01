import { createAuthenticator } from './auth/bearer.ts';
import type { Config } from './config.ts';
import type { Services } from './context.ts';
import type { DatabaseHandle } from './db/client.ts';
import { jobDefinitions } from './jobs/registry.ts';
import { type JobQueue, startJobQueue } from './jobs/runner.ts';
import { createLiveEvents } from './live/pubsub.ts';
import type { Logger } from './logger.ts';
import { FiredThresholdCache } from './resolvers/alerts/fired-threshold-cache.ts';
import { EntitlementCache } from './resolvers/entitlements/entitlement-cache.ts';
import { createSingleEventQueue } from './resolvers/metering/record-usage.ts';
import { UsageCache } from './resolvers/metering/usage-cache.ts';
import { StripeGateway } from './stripe/gateway.ts';
import { createStripeClient } from './stripe/stripe-client.ts';

/**
 * What every request, job and command shares, built once per process over an open database:
 * the key authenticator, metering's in-process helpers, live events and the job queue.
 */
export async function createServices(
  database: DatabaseHandle,
  config: Readonly<Config>,
  options: { log: Logger; now?: () => Date },
): Promise<{ services: Services; jobs: JobQueue; close(): Promise<void> }> {
  const live = createLiveEvents({ redisUrl: config.live.redisUrl, log: options.log });
  const jobs = await startJobQueue({
    store: database.jobStore,
    log: options.log,
    jobs: jobDefinitions(config),
    pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
    schema: config.jobs.schema,
  });
  // Paced under Stripe's limits, the budget shared by every instance through REDIS_URL.
  const stripeConnection = createStripeClient(config.stripe, {
    redisUrl: config.live.redisUrl,
    log: options.log,
  });
  const stripeClient = stripeConnection?.client ?? null;
  const services: Services = {
    db: database.db,
    config,
    now: options.now ?? (() => new Date()),
    authenticate: createAuthenticator(database.db, { cacheTtlMs: config.auth.keyCacheTtlMs }),
    usage: {
      cache: new UsageCache(config.usage.cache),
      singleEvents: createSingleEventQueue(),
      firedThresholds: new FiredThresholdCache(),
    },
    // Bounded in staleness, while Redis is down, like the terms of quotas.
    entitlements: new EntitlementCache({ ttlMs: config.usage.cache.termsTtlMs }),
    live,
    jobs,
    stripe: stripeClient ? new StripeGateway(stripeClient) : null,
  };
  // A key revoked on any instance is forgotten here at once (and its sockets closed, graphql-ws);
  // on the instance that revokes it, synchronously, before revokeApiKey answers.
  const stopForgetting = live.listen('key:revoked', undefined, ({ keyId }) =>
    services.authenticate.forget(keyId),
  );
  // Limits changed on any instance (this one at once): their terms are read again here.
  const stopForgettingTerms = live.listen('terms:changed', undefined, ({ organizationId }) =>
    services.usage.cache.forgetTerms(organizationId),
  );
  const stopForgettingEntitlements = live.listen(
    'entitlements:changed',
    undefined,
    ({ organizationId }) => services.entitlements.forget(organizationId),
  );
  return {
    services,
    jobs,
    async close() {
      stopForgetting();
      stopForgettingTerms();
      stopForgettingEntitlements();
      // A dead Redis is let go at once (live.close) while the job workers finish.
      await Promise.all([jobs.stop(), live.close()]);
      await stripeConnection?.close();
    },
  };
}
