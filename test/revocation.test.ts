import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, type TestOrganization } from './support/fixtures.ts';
import { collect, errorCodes, gql, sleep, wsClient } from './support/graphql.ts';
import { startTwoInstances, type TwoInstances } from './support/instances.ts';
import type { TestRedis } from './support/redis.ts';
import { TEST_ADMIN_KEY, type TestServer } from './support/server.ts';
import { type EventStream, openEventStream } from './support/sse.ts';
import { RECORD, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';
import { type OpenSocket, openSocket } from './support/ws-socket.ts';

/**
 * A revoked key stops working at once on the instance that revokes it, and everywhere within
 * AUTH_KEY_CACHE_MS whether or not the revocation event gets through (Redis down).
 */
const KEY_CACHE_MS = 1_000;
/** Room for a database round trip and the test's own polling on top of AUTH_KEY_CACHE_MS. */
const SLACK_MS = 1_500;

let instances: TwoInstances;
let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let org: TestOrganization;
const sockets: OpenSocket[] = [];
const streams: EventStream[] = [];

beforeAll(async () => {
  instances = await startTwoInstances({
    redis: true,
    env: { AUTH_KEY_CACHE_MS: String(KEY_CACHE_MS) },
  });
  ({ a, b } = instances);
  redis = instances.redis as TestRedis;
  org = await createOrganization(a.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'growth' });
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const stream of streams.splice(0)) await stream.close();
  await redis.start(); // each test begins with Redis up
});
afterAll(() => instances?.stop());

async function newKey(role: 'INGEST' | 'VIEWER') {
  const created = await gql(
    a.graphqlUrl,
    'mutation ($o: ID!, $r: Role!) { createApiKey(organizationId: $o, role: $r) { ... on CreateApiKeySuccess { apiKey { id secret } } } }',
    { key: org.ownerKey, variables: { o: org.id, r: role } },
  );
  return created.data?.createApiKey.apiKey as { id: string; secret: string };
}

async function revoke(server: TestServer, id: string) {
  const revoked = await gql(
    server.graphqlUrl,
    'mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }',
    { key: org.ownerKey, variables: { id } },
  );
  expect(revoked.data?.revokeApiKey.__typename).toBe('CreateApiKeySuccess');
}

const recordVariables = () => ({
  input: { meter: 'api_requests', quantity: '1', idempotencyKey: uniqueKey() },
});

/** recordUsage over HTTP: its __typename, or its error codes when refused. */
async function recordOver(server: TestServer, key: string) {
  const response = await gql(server.graphqlUrl, RECORD, { key, variables: recordVariables() });
  return response.errors ? errorCodes(response) : response.data?.recordUsage.__typename;
}

/** Polls until `server` refuses `key` over HTTP (bounded); answers when it did. */
async function refusedAt(server: TestServer, key: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await recordOver(server, key);
    if (Array.isArray(answer)) {
      expect(answer).toEqual(['UNAUTHENTICATED']);
      return Date.now();
    }
    await sleep(50);
  }
  throw new Error(`the revoked key still works after ${timeoutMs} ms`);
}

describe('revoking a key', () => {
  it('refuses it at once on the revoking instance, with Redis up or down', async () => {
    for (const redisUp of [true, false]) {
      if (!redisUp) await redis.stop();
      for (let i = 0; i < 3; i++) {
        const key = await newKey('INGEST');
        expect(await recordOver(a, key.secret)).toBe('RecordUsageSuccess'); // now cached on A
        await revoke(a, key.id);
        expect(await recordOver(a, key.secret)).toEqual(['UNAUTHENTICATED']);
      }
    }
  });

  it('ends its sockets and refuses it on another instance within AUTH_KEY_CACHE_MS while Redis is down', {
    timeout: 30_000,
  }, async () => {
    const ingest = await newKey('INGEST');
    const viewer = await newKey('VIEWER');
    const ingestSocket = await openSocket(b.graphqlUrl, ingest.secret);
    sockets.push(ingestSocket);
    const recorded = await ingestSocket.execute(RECORD, recordVariables());
    expect(recorded.data?.recordUsage.__typename).toBe('RecordUsageSuccess');
    const watcher = wsClient(b.graphqlUrl, viewer.secret);
    const usage = collect(watcher, 'subscription { usageUpdated { used } }');
    await sleep(300);
    expect(await recordOver(b, ingest.secret)).toBe('RecordUsageSuccess'); // cached on B

    await redis.stop(); // the revocation event cannot reach B
    await sleep(300);
    const revokedAt = Date.now();
    await revoke(a, ingest.id);
    await revoke(a, viewer.id);

    const [ingestClosed, viewerClosed, httpRefused] = await Promise.all([
      ingestSocket.closed,
      watcher.closedWith.then((how) => ({ ...how, at: Date.now() })),
      refusedAt(b, ingest.secret, KEY_CACHE_MS + SLACK_MS + 2_000),
    ]);
    expect(ingestClosed.code).toBe(4403);
    expect(viewerClosed.code).toBe(4403);
    expect(await usage.ended).toBeDefined();
    for (const at of [ingestClosed.at, viewerClosed.at, httpRefused]) {
      expect(at - revokedAt).toBeLessThan(KEY_CACHE_MS + SLACK_MS);
    }
    await expect(openSocket(b.graphqlUrl, ingest.secret)).rejects.toThrow(/4401/);
  });

  it('ends its sockets on another instance at once through Redis when Redis is up', async () => {
    for (const server of [a, b]) {
      await waitFor('live fan-out up', async () => {
        const ready = await (await fetch(`${server.url}/readyz`)).json();
        return ready.live?.status === 'up' ? true : undefined;
      });
    }
    const viewer = await newKey('VIEWER');
    const socket = await openSocket(b.graphqlUrl, viewer.secret);
    sockets.push(socket);
    await sleep(100);
    const revokedAt = Date.now();
    await revoke(a, viewer.id);
    const closed = await socket.closed;
    expect(closed.code).toBe(4403);
    expect(closed.at - revokedAt).toBeLessThan(KEY_CACHE_MS / 2);
  });

  it('ends its Server-Sent Events subscriptions, saying why, with Redis up and with Redis down', {
    timeout: 30_000,
  }, async () => {
    for (const redisUp of [true, false]) {
      if (!redisUp) await redis.stop();
      const viewer = await newKey('VIEWER');
      const stream = await openEventStream(
        b.graphqlUrl,
        viewer.secret,
        'subscription { usageUpdated { used } }',
      );
      streams.push(stream);
      await sleep(300);
      const revokedAt = Date.now();
      await revoke(a, viewer.id);
      const ended = await stream.ended;
      expect(stream.events).toEqual([
        {
          errors: [
            {
              message: 'Forbidden: the API key was revoked',
              extensions: { code: 'FORBIDDEN' },
            },
          ],
        },
      ]);
      // Through Redis the event ends it at once; without, the next check of open keys does.
      expect(ended.at - revokedAt).toBeLessThan(
        redisUp ? KEY_CACHE_MS / 2 : KEY_CACHE_MS + SLACK_MS,
      );
    }
  });
});
