import type { Logger } from 'pino';
import type { Authenticator } from './auth/bearer.ts';
import type { Principal } from './auth/principal.ts';
import type { MeterUsageFigures } from './billing/usage-evaluation.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { LiveEvents } from './live/pubsub.ts';
import type { Loaders } from './loaders.ts';
import type { FiredThresholdCache } from './resolvers/alerts/fired-threshold-cache.ts';
import type { EntitlementCache } from './resolvers/entitlements/entitlement-cache.ts';
import type { IngestQueue } from './resolvers/metering/ingest-queue.ts';
import type { UsageCache } from './resolvers/metering/usage-cache.ts';
import type { IngestOutcome } from './resolvers/metering/usage-ingest-store.ts';
import type { StripeGateway } from './stripe/gateway.ts';

/*
 * What a request carries. Built from leaf files only (the principal, stores, caches, the job
 * queue's `send`), never from a use case or the job runner, so that every use case can take it
 * without an import cycle. The factory is in request-context.ts.
 */

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
  entitlements: EntitlementCache;
  live: LiveEvents;
  jobs: JobSender;
  stripe: StripeGateway | null;
}

/** Queues background jobs; the runner that works them is the composition root's (jobs/runner.ts). */
export interface JobSender {
  /** Queues a job after checking its payload against the job's schema. */
  send(
    name: string,
    payload: unknown,
    options?: { startAfterSeconds?: number },
  ): Promise<string | null>;
}

/** One recordUsage call, written together with others of its organization that arrive with it. */
interface SingleEvent {
  ctx: RequestContext;
  input: unknown;
}

/** In-process helpers of metering, shared by all requests (see metering/). */
export interface UsageServices {
  cache: UsageCache;
  singleEvents: IngestQueue<SingleEvent, { outcome: IngestOutcome; usage: MeterUsageFigures[] }>;
  firedThresholds: FiredThresholdCache;
}

/** What stays the same from one request to the next. */
export interface Services {
  db: Database;
  config: Readonly<Config>;
  now: () => Date;
  authenticate: Authenticator;
  usage: UsageServices;
  /** Entitlements of organizations, in memory for the hot-path checks (see entitlements/). */
  entitlements: EntitlementCache;
  /** Live events (graphql-ws and SSE subscriptions); published after commit. */
  live: LiveEvents;
  jobs: JobSender;
  stripe: StripeGateway | null;
}

/** What background work (jobs, commands, webhooks) needs: everything but authentication. */
export type BackgroundServices = Omit<Services, 'authenticate'>;
