import type { Logger } from 'pino';
import type { Authenticator } from './auth/bearer.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Role } from './db/schema.ts';
import type { JobQueue } from './jobs/runner.ts';
import type { LiveEvents } from './live/pubsub.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import type { FiredThresholds } from './resolvers/alerts/threshold-alerts.ts';
import type { SingleEventQueue } from './resolvers/metering/record-usage.ts';
import type { UsageCache } from './resolvers/metering/usage-cache.ts';
import type { StripeGateway } from './stripe/gateway.ts';

/** Who is calling: the API key behind the request. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Null for ADMIN keys, which belong to the platform rather than to an organization. */
  organizationId: string | null;
}

/** What every resolver gets, over HTTP, graphql-ws, REST and the CLI alike. */
export interface RequestContext {
  principal: Principal | null;
  db: Database;
  loaders: Loaders;
  log: Logger;
  requestId: string;
  config: Readonly<Config>;
  /** The current time; injectable so that tests and replays can set it. */
  now: () => Date;
  usage: UsageServices;
  live: LiveEvents;
  jobs: JobQueue;
  stripe: StripeGateway | null;
}

/** In-process helpers of metering, shared by all requests (see usage-cache.ts, usage-record.ts). */
export interface UsageServices {
  cache: UsageCache;
  singleEvents: SingleEventQueue;
  firedThresholds: FiredThresholds;
}

/** What stays the same from one request to the next. */
export interface Services {
  db: Database;
  config: Readonly<Config>;
  now: () => Date;
  authenticate: Authenticator;
  usage: UsageServices;
  /** Live events (graphql-ws and SSE subscriptions); published after commit. */
  live: LiveEvents;
  jobs: JobQueue;
  stripe: StripeGateway | null;
}

/** What background work (jobs, commands, webhooks) needs: everything but authentication. */
export type BackgroundServices = Omit<Services, 'authenticate'>;

/** A request's context, with DataLoaders of its own. */
export function createRequestContext(
  services: Omit<Services, 'authenticate'>,
  request: { principal: Principal | null; log: Logger; requestId: string },
): RequestContext {
  return {
    ...request,
    db: services.db,
    config: services.config,
    now: services.now,
    usage: services.usage,
    live: services.live,
    jobs: services.jobs,
    stripe: services.stripe,
    loaders: createLoaders(services.db, services.now),
  };
}
