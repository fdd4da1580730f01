import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { collect, sleep, wsClient } from './support/graphql.ts';
import { type ServerProcess, spawnServer } from './support/process.ts';
import { createTestRedis, type TestRedis } from './support/redis.ts';
import { TEST_ADMIN_KEY } from './support/server.ts';
import { record, uniqueKey, usageOf } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * Redis carries live events between instances; billing must not depend on it. Each test runs
 * real server processes against a redis-server of its own, which it kills and starts again.
 */
const USAGE = 'subscription { usageUpdated(meter: "api_requests") { used } }';
const DEGRADED_LOG = '"msg":"live fan-out degraded';
const RESTORED_LOG = '"msg":"live fan-out restored';
const SHUTDOWN_TIMEOUT_MS = 3_000;

let redis: TestRedis | undefined;
let storage: ScratchDatabase | undefined;
const servers: ServerProcess[] = [];
const clients: { dispose(): unknown }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  for (const server of servers.splice(0)) {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await Promise.race([server.exited, sleep(5_000)]);
  }
  await redis?.stop();
  redis = undefined;
  await storage?.drop();
  storage = undefined;
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  servers.push(server);
  return server;
}

async function readiness(server: ServerProcess) {
  const response = await fetch(server.graphqlUrl.replace(/\/graphql$/, '/readyz'));
  return { code: response.status, body: (await response.json()) as Record<string, any> };
}

/** Polls /readyz until live fan-out reports `status` (bounded). */
function liveStatus(server: ServerProcess, status: 'up' | 'down', timeoutMs = 15_000) {
  return waitFor(
    `live fan-out ${status}`,
    async () => {
      const ready = await readiness(server);
      return ready.body.live?.status === status ? ready : undefined;
    },
    timeoutMs,
  );
}

const alive = (server: ServerProcess) => server.child.exitCode === null;
const count = (text: string, part: string) => text.split(part).length - 1;

async function recordOne(server: ServerProcess, key: string) {
  const result = await record(server.graphqlUrl, key, {
    meter: 'api_requests',
    quantity: '1',
    idempotencyKey: uniqueKey(),
  });
  expect(result?.__typename).toBe('RecordUsageSuccess');
}

/** SIGTERM; answers the exit code and how long the process took to exit. */
async function terminate(server: ServerProcess, boundMs = 60_000) {
  const startedAt = performance.now();
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, sleep(boundMs).then(() => 'still running')]);
  return { code, ms: Math.round(performance.now() - startedAt) };
}

/** Records on `from` until `sub` has more than `seen` results (bounded); answers the time taken. */
async function untilDelivered(
  from: ServerProcess,
  key: string,
  sub: { results: unknown[] },
  seen: number,
  timeoutMs = 20_000,
) {
  const startedAt = Date.now();
  while (sub.results.length <= seen) {
    if (Date.now() - startedAt > timeoutMs) throw new Error('live events did not cross again');
    await recordOne(from, key);
    await sleep(300);
  }
  return Date.now() - startedAt;
}

async function setUp(redisRunning: boolean) {
  redis = await createTestRedis();
  if (redisRunning) await redis.start();
  storage = await createPostgresDatabase();
  return {
    ...storage.env,
    REDIS_URL: redis.url,
    BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  };
}

async function tenant(server: ServerProcess) {
  const org = await createOrganization(server.graphqlUrl, TEST_ADMIN_KEY, { planKey: 'growth' });
  return { ...org, ingest: await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST') };
}

function subscribe(server: ServerProcess, key: string) {
  const client = wsClient(server.graphqlUrl, key);
  clients.push(client);
  return collect(client, USAGE);
}

describe('a Redis outage', () => {
  it('keeps billing going, reports live fan-out degraded, and recovers by itself', {
    timeout: 120_000,
  }, async () => {
    const env = await setUp(true);
    const a = await start(env);
    const b = await start(env);
    const org = await tenant(a);
    const onA = subscribe(a, org.ownerKey);
    const onB = subscribe(b, org.ownerKey);
    await sleep(500);
    await recordOne(a, org.ingest);
    await onB.waitFor(1, 5_000);
    expect((await readiness(a)).body.live).toMatchObject({ fanOut: 'redis', status: 'up' });

    await redis?.stop();
    const seenOnA = onA.results.length;
    for (let i = 0; i < 5; i++) {
      await recordOne(a, org.ingest);
      await recordOne(b, org.ingest);
    }
    const down = await liveStatus(a, 'down');
    expect(down.code).toBe(200); // billing goes on: the instance stays ready
    expect(down.body.status).toBe('degraded');
    expect(down.body.live.failedPublishes).toBeGreaterThan(0);
    await sleep(2_000); // reconnect attempts, and any late failure of the publishes above
    expect(alive(a) && alive(b)).toBe(true);
    expect((await readiness(b)).body.live.status).toBe('down');
    // Subscribers on the instance that caused the change still hear of it.
    expect(onA.results.length).toBeGreaterThan(seenOnA);
    // Logged once for the outage, not once per event or reconnect attempt.
    expect(count(a.output(), DEGRADED_LOG)).toBe(1);
    expect(a.output()).not.toContain('MaxRetriesPerRequestError');

    await redis?.start();
    const restartedAt = Date.now();
    await Promise.all([liveStatus(a, 'up'), liveStatus(b, 'up')]);
    // Across again, both ways, on the subscriptions opened before the outage.
    await untilDelivered(a, org.ingest, onB, onB.results.length);
    await untilDelivered(b, org.ingest, onA, onA.results.length);
    expect(Date.now() - restartedAt).toBeLessThan(20_000);
    expect(count(a.output(), RESTORED_LOG)).toBe(1);

    // Nothing recorded during the outage was lost.
    const used = Number((await usageOf(a.graphqlUrl, org.ownerKey, 'api_requests'))?.used);
    expect(used).toBeGreaterThanOrEqual(13);
    expect(await terminate(a)).toMatchObject({ code: 0 });
    expect(await terminate(b)).toMatchObject({ code: 0 });
  });

  it('lets a server start without Redis, record usage, and join in when Redis comes up', {
    timeout: 120_000,
  }, async () => {
    const env = await setUp(false);
    const c = await start(env);
    const down = await liveStatus(c, 'down');
    expect(down.code).toBe(200);
    const org = await tenant(c);
    const onC = subscribe(c, org.ownerKey); // subscribed while Redis is down
    for (let i = 0; i < 3; i++) await recordOne(c, org.ingest);
    await sleep(2_000);
    expect(alive(c)).toBe(true);
    expect((await usageOf(c.graphqlUrl, org.ownerKey, 'api_requests'))?.used).toBe('3');
    expect((await readiness(c)).body.live.failedPublishes).toBeGreaterThanOrEqual(3);

    await redis?.start();
    await liveStatus(c, 'up');
    const d = await start(env);
    await liveStatus(d, 'up');
    // What d causes reaches the subscription c took while Redis was down.
    await untilDelivered(d, org.ingest, onC, onC.results.length);
    expect(alive(c)).toBe(true);
    expect(await terminate(c)).toMatchObject({ code: 0 });
    expect(await terminate(d)).toMatchObject({ code: 0 });
  });

  it('does not hold shutdown beyond SHUTDOWN_TIMEOUT_MS', { timeout: 120_000 }, async () => {
    const env = await setUp(true);
    const server = await start(env);
    const org = await tenant(server);
    const sub = subscribe(server, org.ownerKey);
    await sleep(300);
    await recordOne(server, org.ingest);
    await sub.waitFor(1, 5_000);
    await redis?.stop();
    await sleep(1_000); // the server has seen the connection go

    const stopped = await terminate(server);
    console.info(`shutdown with Redis down took ${stopped.ms} ms`);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  });
});
