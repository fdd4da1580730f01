import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type OperationResult, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/bearer.ts';
import type { Principal } from '../auth/principal.ts';
import type { LiveEvents } from '../live/pubsub.ts';
import type { Logger } from '../logger.ts';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql.ts';

/**
 * graphql-ws on the same port and path as HTTP GraphQL. The key is checked once, at
 * connection_init (`connectionParams: { authorization: "Bearer <key>" }`); a socket without a
 * valid key is closed with 4401. Each operation gets its context from Yoga's own factory, the
 * same as over HTTP.
 */
export function attachGraphQLWebSocket(deps: {
  httpServer: Server;
  yoga: GraphQLHandler;
  authenticate: Authenticator;
  live: LiveEvents;
  log: Logger;
  maxPayloadBytes: number;
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
  const revocations = deps.live.stream('key:revoked', undefined);
  void (async () => {
    for await (const { keyId } of revocations) sockets.closeKey(keyId);
  })().catch((error) => log.error({ err: error }, 'key revocation listener failed'));

  const disposable = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onConnect: async (ctx) => {
        const result = await deps.authenticate(ctx.connectionParams?.authorization);
        if (!result.ok || !result.principal) {
          ctx.extra.socket.close(
            CloseCode.Unauthorized,
            'Unauthorized: missing or invalid API key',
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
        return operationFor(yoga, log, principal, payload);
      },
    },
    wsServer,
  );

  return {
    /** Closes every socket (1001 going away) and stops the ws server. */
    async close() {
      await revocations.return?.();
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
    },
  };
}

/** The open sockets and whose key each was opened with, so that revoking a key ends them. */
class KeySockets {
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

  closeKey(keyId: string): void {
    for (const socket of this.#byKey.get(keyId) ?? []) {
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
