import type { Principal } from './auth/principal.ts';
import type { BackgroundServices, RequestContext } from './context.ts';
import { createLoaders } from './loaders.ts';
import type { Logger } from './logger.ts';

/** A request's context, with DataLoaders of its own. */
export function createRequestContext(
  services: BackgroundServices,
  request: { principal: Principal | null; log: Logger; requestId: string },
): RequestContext {
  return {
    ...request,
    db: services.db,
    config: services.config,
    now: services.now,
    usage: services.usage,
    entitlements: services.entitlements,
    live: services.live,
    jobs: services.jobs,
    stripe: services.stripe,
    loaders: createLoaders(services.db, services.now),
  };
}
