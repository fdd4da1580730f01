import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type OperationResult } from 'graphql-ws';
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

  const principals = new WeakMap<object, Principal>();
  /** Open sockets by API key, so that revoking a key ends its sockets. */
  const socketsByKey = new Map<string, Set<WebSocket>>();
  const revocations = deps.live.stream('key:revoked', undefined);
  void (async () => {
    for await (const { keyId } of revocations) {
      for (const socket of socketsByKey.get(keyId) ?? []) {
        socket.close(CloseCode.Forbidden, 'Forbidden: the API key was revoked');
      }
    }
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
        principals.set(ctx.extra.socket, result.principal);
        const sockets = socketsByKey.get(result.principal.keyId) ?? new Set();
        sockets.add(ctx.extra.socket);
        socketsByKey.set(result.principal.keyId, sockets);
        return true;
      },
      onClose: (ctx) => {
        const principal = principals.get(ctx.extra.socket);
        if (!principal) return;
        const sockets = socketsByKey.get(principal.keyId);
        sockets?.delete(ctx.extra.socket);
        if (sockets?.size === 0) socketsByKey.delete(principal.keyId);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const principal = principals.get(ctx.extra.socket);
        if (!principal) return [new GraphQLError('Unauthorized')];
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

/** Yoga's enveloped execute/subscribe, carried to graphql-ws through rootValue. */
interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}
