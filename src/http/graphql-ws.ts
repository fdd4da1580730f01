import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type OperationResult, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/bearer.ts';
import type { Principal } from '../auth/principal.ts';
import type { Logger } from '../logger.ts';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql.ts';
import type { KeyBoundConnections } from './key-watch.ts';

/**
 * graphql-ws on the same port and path as HTTP GraphQL. The key is checked once, at
 * connection_init (`connectionParams: { Authorization: "Bearer <key>" }`, see authorizationOf);
 * a socket without a valid key is closed with 4401 and a reason that says what was wrong. Each
 * operation gets its context from Yoga's own factory, the same as over HTTP. A socket whose key
 * is revoked is closed with 4403 (see watchKeys for when).
 */
export function attachGraphQLWebSocket(deps: {
  httpServer: Server;
  yoga: GraphQLHandler;
  authenticate: Authenticator;
  log: Logger;
  maxPayloadBytes: number;
  /** Operations one socket may run at once, and sockets one key may hold open. */
  maxSubscriptionsPerSocket: number;
  maxSocketsPerKey: number;
}) {
  const { httpServer, yoga, log } = deps;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== GRAPHQL_PATH) {
      socket.destroy();
      return;
    }
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  });

  const sockets = new KeySockets();

  const disposable = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const result = await principalOf(deps.authenticate, ctx.connectionParams);
        if ('refusal' in result) {
          ctx.extra.socket.close(CloseCode.Unauthorized, REFUSALS[result.refusal]);
          return false;
        }
        if (sockets.countOf(result.principal.keyId) >= deps.maxSocketsPerKey) {
          // 1008 policy violation: not an authentication failure, and clients may try again later.
          ctx.extra.socket.close(
            1008,
            `Too many sockets for this API key: at most ${deps.maxSocketsPerKey} (WS_MAX_SOCKETS_PER_KEY)`,
          );
          return false;
        }
        sockets.add(ctx.extra.socket, result.principal);
        return true;
      },
      onClose: (ctx) => sockets.remove(ctx.extra.socket),
      onSubscribe: async (ctx, _id, payload) => {
        const principal = sockets.principalOf(ctx.extra.socket);
        if (!principal) return [new GraphQLError('Unauthorized')];
        // This operation is counted already: graphql-ws registers it before asking.
        if (Object.keys(ctx.subscriptions).length > deps.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(
              `Too many operations on this socket: at most ${deps.maxSubscriptionsPerSocket} at once (WS_MAX_SUBSCRIPTIONS_PER_SOCKET); complete one first`,
              { extensions: { code: 'TOO_MANY_OPERATIONS' } },
            ),
          ];
        }
        return operationFor(yoga, log, principal, payload);
      },
    },
    wsServer,
  );

  return {
    /** The open sockets by key, for watchKeys to close those of a revoked key (4403). */
    sockets: sockets as KeyBoundConnections,
    /** Closes every socket (1001 going away) and stops the ws server. */
    async close() {
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
    },
  };
}

/** The close reasons of 4401, each well within the 123 bytes a close frame allows. */
const REFUSALS = {
  missing: "Unauthorized: no API key in connectionParams (send { Authorization: 'Bearer <key>' })",
  malformed: "Unauthorized: connectionParams Authorization must be 'Bearer <key>'",
  conflicting: 'Unauthorized: connectionParams carry different Authorization values',
  unknown: 'Unauthorized: the API key is unknown or revoked',
} as const;

type Refusal = keyof typeof REFUSALS;

/** Who opens the socket, or why it is refused. */
async function principalOf(
  authenticate: Authenticator,
  params: Readonly<Record<string, unknown>> | undefined,
): Promise<{ principal: Principal } | { refusal: Refusal }> {
  const found = authorizationOf(params);
  if ('refusal' in found) return found;
  const result = await authenticate(found.authorization);
  if (!result.ok) return { refusal: result.reason };
  return result.principal ? { principal: result.principal } : { refusal: 'missing' };
}

/**
 * The Authorization value of connection_init's payload, as clients send it: `authorization` or
 * `Authorization` (the name in any case), at the top or in a `headers` object. "Bearer" is read
 * in any case, and a bare key (one word) counts as "Bearer <key>": it is the same secret, and a
 * word cannot be another scheme's credentials. Two different keys refuse the socket rather than
 * pick one.
 */
function authorizationOf(
  params: Readonly<Record<string, unknown>> | undefined,
): { authorization: string } | { refusal: Refusal } {
  const headers = params?.headers;
  const keys = new Set<string | null>();
  for (const source of [params, isRecord(headers) ? headers : undefined]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      if (name.toLowerCase() !== 'authorization' || value === undefined || value === null) continue;
      if (typeof value !== 'string') keys.add(null);
      else if (value.trim() !== '') keys.add(keyIn(value.trim()));
    }
  }
  if (keys.size === 0) return { refusal: 'missing' };
  if (keys.has(null)) return { refusal: 'malformed' };
  if (keys.size > 1) return { refusal: 'conflicting' };
  return { authorization: `Bearer ${[...keys][0]}` };
}

/** The key of "Bearer <key>" or of a bare key; null for anything else. */
function keyIn(value: string): string | null {
  const bearer = /^bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1] ?? null;
  return /\s/.test(value) || /^bearer$/i.test(value) ? null : value;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The open sockets and whose key each was opened with, so that revoking a key ends them. */
class KeySockets implements KeyBoundConnections {
  readonly #principals = new WeakMap<WebSocket, Principal>();
  readonly #byKey = new Map<string, Set<WebSocket>>();

  add(socket: WebSocket, principal: Principal): void {
    this.#principals.set(socket, principal);
    const sockets = this.#byKey.get(principal.keyId) ?? new Set();
    sockets.add(socket);
    this.#byKey.set(principal.keyId, sockets);
  }

  principalOf(socket: WebSocket): Principal | undefined {
    return this.#principals.get(socket);
  }

  remove(socket: WebSocket): void {
    const principal = this.#principals.get(socket);
    if (!principal) return;
    const sockets = this.#byKey.get(principal.keyId);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.#byKey.delete(principal.keyId);
  }

  countOf(keyId: string): number {
    return this.#byKey.get(keyId)?.size ?? 0;
  }

  /** The keys of the open sockets, each once. */
  keyIds(): string[] {
    return [...this.#byKey.keys()];
  }

  /** Closes the key's sockets (4403); they run no further operation while they close. */
  endKey(keyId: string): void {
    const sockets = this.#byKey.get(keyId) ?? new Set();
    this.#byKey.delete(keyId);
    for (const socket of sockets) {
      this.#principals.delete(socket);
      socket.close(CloseCode.Forbidden, 'Forbidden: the API key was revoked');
    }
  }
}

/** One operation of a socket, parsed, validated and given its context by Yoga's envelop. */
async function operationFor(
  yoga: GraphQLHandler,
  log: Logger,
  principal: Principal,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const requestId = randomUUID();
  const enveloped = yoga.getEnveloped({
    principal,
    requestId,
    log: log.child({ requestId, transport: 'graphql-ws' }),
    params: payload,
  });
  let document: ExecutionArgs['document'];
  try {
    document = enveloped.parse(payload.query);
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return errors;
  return {
    schema: enveloped.schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
    contextValue: await enveloped.contextFactory(),
    rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
  };
}

/** Yoga's enveloped execute/subscribe, carried to graphql-ws through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}
