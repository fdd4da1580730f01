// The baseline for bench:fanout: a bare `ws` server that broadcasts a payload shaped like a
// usageUpdated message to every socket of a group when asked to (POST /publish?group=...).
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

const groups = new Map<string, Set<WebSocket>>();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/publish') {
    const group = url.searchParams.get('group') ?? '';
    const used = url.searchParams.get('used') ?? '0';
    const message = JSON.stringify({
      id: '1',
      type: 'next',
      payload: {
        data: {
          usageUpdated: {
            meter: { key: 'api_requests' },
            used,
            limit: '1000000',
            pct: 1,
            status: 'OK',
          },
        },
      },
    });
    for (const socket of groups.get(group) ?? []) socket.send(message);
    res.writeHead(204).end();
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server });
wss.on('connection', (socket, req) => {
  const group = new URL(req.url ?? '/', 'http://localhost').searchParams.get('group') ?? '';
  const members = groups.get(group) ?? new Set();
  members.add(socket);
  groups.set(group, members);
  socket.on('close', () => members.delete(socket));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`GraphQL: http://127.0.0.1:${port}/graphql\n`);
});
process.on('SIGTERM', () => process.exit(0));
