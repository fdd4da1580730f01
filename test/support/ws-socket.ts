import WebSocket from 'ws';

/**
 * A graphql-ws socket spoken by hand, that stays open between operations (graphql-ws' own client
 * closes a lazy socket once its last operation ends): for tests of what happens to a socket
 * that is already open, e.g. when its key is revoked.
 */
export interface OpenSocket {
  /** Runs one operation and resolves with its first result (or rejects if the socket closes). */
  execute(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>>;
  /** Resolves when the server closes the socket, with the close code and reason. */
  closed: Promise<{ code: number; reason: string; at: number }>;
  close(): void;
}

/** Opens a socket and completes connection_init with `Authorization: Bearer <key>`. */
export async function openSocket(graphqlUrl: string, key: string): Promise<OpenSocket> {
  const socket = new WebSocket(graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once('close', (code, reason) =>
      resolve({ code, reason: String(reason), at: Date.now() }),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }),
  );
  const acked = await Promise.race([
    new Promise<boolean>((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse(String(data)).type === 'connection_ack')),
    ),
    closed.then(() => false),
  ]);
  if (!acked) throw new Error(`socket refused: ${JSON.stringify(await closed)}`);
  let next = 0;
  return {
    closed,
    close: () => socket.close(1000),
    execute(query, variables) {
      const id = String(++next);
      return new Promise((resolve, reject) => {
        const onMessage = (data: WebSocket.RawData) => {
          const message = JSON.parse(String(data));
          if (message.id !== id) return;
          socket.off('message', onMessage);
          if (message.type === 'next') resolve(message.payload);
          else if (message.type === 'error') resolve({ errors: message.payload });
          else resolve({});
        };
        socket.on('message', onMessage);
        closed.then((how) => reject(new Error(`socket closed: ${how.code} ${how.reason}`)));
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      });
    },
  };
}
