import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { type OpenSocket, openSocket } from './support/ws-socket.ts';

/** Work one socket or one key may hold on an instance: bounded, with a clear error past it. */
let server: TestServer;
let viewerKey: string;
const open: OpenSocket[] = [];

beforeAll(async () => {
  server = await startTestServer({
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
    WS_MAX_SOCKETS_PER_KEY: '2',
  });
  const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  viewerKey = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'VIEWER');
});
afterAll(async () => {
  for (const socket of open) socket.close();
  await server?.stop();
});

describe('graphql-ws limits', () => {
  it('refuses a socket its 4th operation at once, and keeps the three it runs', async () => {
    const socket = await openSocket(server.graphqlUrl, viewerKey);
    open.push(socket);
    // Subscriptions that send nothing until usage changes: they stay open.
    for (let i = 0; i < 3; i++)
      void socket.execute('subscription { usageUpdated { used } }').catch(() => {});
    const fourth = await socket.execute('subscription { usageUpdated { used } }');
    expect(fourth.errors?.[0]).toMatchObject({
      message: expect.stringContaining('Too many operations on this socket: at most 3 at once'),
      extensions: { code: 'TOO_MANY_OPERATIONS' },
    });
  });

  it('refuses a key its 3rd socket with 1008 and the reason, the other two still working', async () => {
    const second = await openSocket(server.graphqlUrl, viewerKey);
    open.push(second);
    await expect(openSocket(server.graphqlUrl, viewerKey)).rejects.toThrow(
      /"code":1008,"reason":"Too many sockets for this API key: at most 2 \(WS_MAX_SOCKETS_PER_KEY\)"/,
    );
    expect(await second.execute('{ viewer { role } }')).toEqual({
      data: { viewer: { role: 'VIEWER' } },
    });
  });
});
