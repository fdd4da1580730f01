import { GraphQLError } from 'graphql';
import { type CORSOptions, createYoga, maskError, useErrorHandler } from 'graphql-yoga';
import { bearerProblem } from '../auth/bearer.ts';
import type { Principal } from '../auth/principal.ts';
import type { RequestContext, Services } from '../context.ts';
import { dataExceptionCode } from '../db/database-errors.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createRequestContext } from '../request-context.ts';
import { unauthenticated } from '../schema/auth-errors.ts';
import { schema } from '../schema/index.ts';
import { armorPlugins } from './armor.ts';
import { graphiqlOptions, renderGraphiQL, useGraphiQLAssets } from './graphiql.ts';
import type { KeyBoundStreams } from './key-bound-streams.ts';
import { useSharedSubscriptionResults } from './shared-subscription-results.ts';

/**
 * What the transport hands to Yoga. Over HTTP the principal is read from the request's
 * Authorization header; graphql-ws authenticates once at connection_init and passes it in.
 */
export interface ServerContext {
  requestId: string;
  log: Logger;
  principal?: Principal | null;
}

export const GRAPHQL_PATH = '/graphql';

export function createGraphQLHandler(deps: {
  services: Services;
  log: Logger;
  /** Where subscriptions over HTTP are kept by key, to end them when it is revoked. */
  streams: KeyBoundStreams;
}) {
  const { services, log } = deps;
  const { config } = services;
  const isDevelopment = config.server.env === 'development';

  return createYoga<ServerContext, RequestContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    // GraphiQL with its scripts served by this server (no CDN), in development only.
    graphiql: isDevelopment ? graphiqlOptions : false,
    renderGraphiQL,
    landingPage: false,
    logging: false,
    cors: corsPolicy(config.server.corsOrigins),
    // No file uploads, and no multipart/form-data POST a page on another site could send without
    // asking first (createHttpServer refuses every POST body that is not JSON before Yoga).
    multipart: false,
    maskedErrors: { maskError: exposeDomainErrors },
    plugins: [
      ...(isDevelopment ? [useGraphiQLAssets()] : []),
      // "Did you mean ...?" describes the schema to strangers; keep it for development.
      ...armorPlugins(config.graphql, { suggestions: isDevelopment }),
      useSharedSubscriptionResults(),
      deps.streams.plugin(),
      useErrorHandler(({ errors, context }) => {
        const requestLog = (context as Partial<ServerContext>).log ?? log;
        for (const error of errors) {
          const original = error instanceof GraphQLError ? error.originalError : error;
          if (original && !(original instanceof GraphQLError) && !isDomainError(original)) {
            requestLog.error(
              { err: original, path: (error as GraphQLError).path },
              'unexpected error',
            );
          }
        }
      }),
    ],
    context: async (initial): Promise<RequestContext> => {
      let principal = initial.principal;
      if (principal === undefined) {
        const result = await services.authenticate(initial.request.headers.get('authorization'));
        if (!result.ok) throw unauthenticated(bearerProblem(result.reason));
        principal = result.principal;
      }
      return createRequestContext(services, {
        principal,
        log: initial.log,
        requestId: initial.requestId,
      });
    },
  });
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;

/**
 * Cross-origin access for the listed origins (CORS_ORIGINS) only, with credentials; any other
 * origin, the default, gets no CORS header at all (and a preflight answered without one), so its
 * pages cannot read answers nor send JSON. The dashboard is served from this origin: it needs none.
 */
function corsPolicy(allowed: readonly string[]) {
  return (request: Request): CORSOptions => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.includes(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id'],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    };
  };
}

function isDomainError(error: unknown): boolean {
  return (
    error instanceof ValidationError ||
    error instanceof NotFoundError ||
    dataExceptionCode(error) !== null
  );
}

/**
 * Typed errors thrown where the field has no result union (queries, connections) become GraphQL
 * errors with a code; everything unexpected is masked, as Yoga does by default.
 */
function exposeDomainErrors(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof ValidationError) {
    return new GraphQLError(original.message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'BAD_USER_INPUT', fieldErrors: original.fieldErrors },
    });
  }
  if (original instanceof NotFoundError) {
    return new GraphQLError(original.message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'NOT_FOUND' },
    });
  }
  // A value the database cannot take (a NUL in an id, a cursor or a name): the input is at
  // fault, and the statement failed, so nothing changed. Said without the value.
  const sqlState = dataExceptionCode(original);
  if (sqlState) {
    return new GraphQLError(
      `The request holds a value that cannot be stored or compared as sent (SQLSTATE ${sqlState}), such as a NUL character`,
      {
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return maskError(error, message, isDev);
}
