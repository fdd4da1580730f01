// The baseline for GET /v1/check: a bare node:http server answering a constant JSON body, served
// the same way as the billing server (one process), with no auth, no cache and no database.
import { createServer } from 'node:http';

const body = JSON.stringify({
  feature: 'custom_domains',
  allowed: true,
  value: null,
  upgradeTo: null,
  reason: null,
});
const server = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // The harness waits for this line (it names GraphQL, which this server does not serve).
  process.stdout.write(`GraphQL: http://127.0.0.1:${port}/graphql\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
