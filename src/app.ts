import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import type { Services } from './context.ts';
import { type DatabaseHandle, openDatabase } from './db/client.ts';
import { prepareDatabase } from './db/migrate.ts';
import { dashboardRoute } from './http/dashboard-route.ts';
import { checkRoute, entitlementsRoute, jwksRoute } from './http/entitlements-route.ts';
import { createGraphQLHandler, GRAPHQL_PATH } from './http/graphql.ts';
import { attachGraphQLWebSocket } from './http/graphql-ws.ts';
import { healthz, readyz } from './http/health.ts';
import { KeyBoundStreams } from './http/key-bound-streams.ts';
import { watchKeys } from './http/key-watch.ts';
import { createHttpServer } from './http/server.ts';
import { stripeWebhookRoute } from './http/stripe-webhook-route.ts';
import { usageIngestRoute } from './http/usage-route.ts';
import { createLogger, type Logger } from './logger.ts';
import { seedCatalog } from './resolvers/catalog/catalog-file.ts';
import { syncCatalog } from './resolvers/catalog/stripe-prices.ts';
import { createServices } from './services.ts';

export interface StartedApp {
  url: string;
  graphqlUrl: string;
  port: number;
  /** An ADMIN key made because the database had none; shown once, by the caller. */
  generatedAdminKey?: string;
}

export interface App {
  start(): Promise<StartedApp>;
  stop(): Promise<void>;
  readonly database: DatabaseHandle | undefined;
  /** What requests and jobs share, while started. */
  readonly services: Services | undefined;
  readonly log: Logger;
}

/**
 * The composition root: opens and migrates the database, then serves GraphQL over HTTP and
 * WebSocket and the REST sidecar on one port. `stop` stops accepting, lets in-flight requests
 * finish (up to SHUTDOWN_TIMEOUT_MS), closes sockets, the job workers and Redis (at once when
 * Redis is unreachable: a dead Redis never holds a shutdown), then the database.
 */
export interface AppOptions {
  log?: Logger;
  /** The server's clock; tests set it to cross period boundaries. */
  now?: () => Date;
}

export function buildApp(config: Readonly<Config>, options: AppOptions = {}): App {
  const log = options.log ?? createLogger(config.server);
  let database: DatabaseHandle | undefined;
  let stopServing: (() => Promise<void>) | undefined;
  let shared: Awaited<ReturnType<typeof createServices>> | undefined;

  return {
    get database() {
      return database;
    },
    get services() {
      return shared?.services;
    },
    log,
    async start() {
      database = await openDatabase(config.database);
      const seeded = await prepareDatabase(database, {
        bootstrapAdminKey: config.auth.bootstrapAdminKey,
        seedCatalog: (db) => seedCatalog(db, config.catalog.file),
      });
      log.info({ driver: database.driver, catalogSeeded: seeded.catalogSeeded }, 'database ready');
      shared = await createServices(database, config, {
        log,
        ...(options.now ? { now: options.now } : {}),
      });
      await startBackground(shared, config, log);
      const serving = await serve(shared.services, database, config, log);
      stopServing = serving.stop;
      return {
        url: serving.url,
        graphqlUrl: `${serving.url}${GRAPHQL_PATH}`,
        port: serving.port,
        ...(seeded.generatedAdminKey ? { generatedAdminKey: seeded.generatedAdminKey } : {}),
      };
    },
    async stop() {
      await stopServing?.();
      stopServing = undefined;
      await shared?.close();
      shared = undefined;
      await database?.close();
      database = undefined;
      log.info('stopped');
    },
  };
}

/** The job workers (JOBS_ENABLED), and the Stripe catalog in sync. */
async function startBackground(
  shared: Awaited<ReturnType<typeof createServices>>,
  config: Readonly<Config>,
  log: Logger,
): Promise<void> {
  const { services } = shared;
  if (config.jobs.enabled) await shared.jobs.work({ services, log });
  if (!services.stripe) return;
  // Plans → Stripe products and prices. Stripe being down must not keep the server down:
  // provisioning and checkout make a missing price when they need it.
  await syncCatalog(services, log).catch((error: unknown) =>
    log.error({ err: error }, 'Stripe catalog sync failed at start; it runs again on demand'),
  );
}

/** GraphQL over HTTP and WebSocket and the REST sidecar, listening on one port. */
async function serve(
  services: Services,
  database: DatabaseHandle,
  config: Readonly<Config>,
  log: Logger,
) {
  // Subscriptions over HTTP (SSE) and graphql-ws sockets both end when their key is revoked.
  const streams = new KeyBoundStreams();
  const yoga = createGraphQLHandler({ services, log, streams });
  const httpServer = createHttpServer({
    yoga,
    log,
    maxBodyBytes: config.server.maxBodyBytes,
    routes: [
      { method: 'GET', path: '/healthz', handle: healthz },
      { method: 'GET', path: '/readyz', handle: readyz(database.db, log, services.live) },
      { method: 'POST', path: '/v1/usage', handle: usageIngestRoute(services) },
      { method: 'GET', path: '/v1/entitlements', handle: entitlementsRoute(services) },
      { method: 'GET', path: '/v1/check', handle: checkRoute(services) },
      { method: 'GET', path: '/.well-known/jwks.json', handle: jwksRoute(services) },
      { method: 'POST', path: '/webhooks/stripe', handle: stripeWebhookRoute(services) },
      dashboardRoute(config.server.dashboardDir),
    ],
  });
  const ws = attachGraphQLWebSocket({
    httpServer,
    yoga,
    authenticate: services.authenticate,
    log,
    maxPayloadBytes: config.server.maxBodyBytes,
    maxSubscriptionsPerSocket: config.live.maxSubscriptionsPerSocket,
    maxSocketsPerKey: config.live.maxSocketsPerKey,
  });
  const stopWatchingKeys = watchKeys([ws.sockets, streams], {
    live: services.live,
    authenticate: services.authenticate,
    everyMs: config.auth.keyCacheTtlMs,
    log,
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.server.port, config.server.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url: `${url}${GRAPHQL_PATH}` }, 'listening');
  const stop = async () => {
    await stopWatchingKeys();
    await drain(httpServer, config.server.shutdownTimeoutMs, log, () => ws.close());
    await yoga.dispose();
  };
  return { url, port, stop };
}

/**
 * Stops accepting, closes the sockets, lets in-flight requests finish and closes each
 * keep-alive connection as it becomes idle; what is left after `timeoutMs` is cut.
 */
async function drain(
  httpServer: Server,
  timeoutMs: number,
  log: Logger,
  closeSockets: () => Promise<void>,
): Promise<void> {
  const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await closeSockets();
  const idle = setInterval(() => httpServer.closeIdleConnections(), 50);
  httpServer.closeIdleConnections();
  const timeout = setTimeout(() => {
    log.warn('shutdown timeout: closing the remaining connections');
    httpServer.closeAllConnections();
  }, timeoutMs);
  await closed;
  clearInterval(idle);
  clearTimeout(timeout);
}
