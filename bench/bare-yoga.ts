// The baseline for checkQuota: a bare Yoga server answering `{ __typename }`, served the same
// way as the billing server (node:http, one process), with no auth and no database.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
  logging: false,
  graphiql: false,
  landingPage: false,
});
const server = createServer(yoga);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`GraphQL: http://127.0.0.1:${port}/graphql\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
