import type { Logger } from 'pino';
import type { Database } from './db/client.ts';
import type { Role } from './db/schema.ts';
import type { Loaders } from './resolvers/loaders.ts';

/** Who is calling: the API key behind the request. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Null for ADMIN keys, which belong to the platform rather than to an organization. */
  organizationId: string | null;
}

/** What every resolver gets, over HTTP and over graphql-ws alike. */
export interface RequestContext {
  principal: Principal | null;
  db: Database;
  loaders: Loaders;
  log: Logger;
  requestId: string;
}
