// `npm run bench:fanout`: live usage to many graphql-ws subscribers, beside a bare `ws` server
// broadcasting the same payloads to as many sockets in the same run. Prints a table.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { scratchDatabase, spawnServer, stopProcesses } from './harness.ts';

export interface FanoutSizes {
  subscribers: number;
  organizations: number;
  seconds: number;
  /** Usage changes per second over all organizations, when subscribers are spread over them. */
  changesPerSecond: number;
  /** Usage changes per second when every subscriber watches one organization. */
  changesPerSecondInOne: number;
}

export const FULL: FanoutSizes = {
  subscribers: 5000,
  organizations: 100,
  seconds: 15,
  changesPerSecond: 100,
  // 4 a second is what a subscriber receives at most (LIVE_USAGE_INTERVAL_MS): 20,000 messages/s.
  changesPerSecondInOne: 4,
};
export const TINY: FanoutSizes = {
  subscribers: 40,
  organizations: 4,
  seconds: 2,
  changesPerSecond: 8,
  changesPerSecondInOne: 4,
};

interface ScenarioResult {
  name: string;
  subscribers: number;
  messages: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** How long the request that caused a change took (for us: recording usage, committed). */
  triggerP99Ms: number;
  bytesPerSubscriber: number;
}

const ADMIN_KEY = `bsk_bench_admin_${randomBytes(12).toString('hex')}`;

export async function runFanoutBench(options: { serverUrl: string; sizes: FanoutSizes }) {
  const database = await scratchDatabase(options.serverUrl);
  const processes: ChildProcess[] = [];
  try {
    const billing = await spawnServer('src/main.ts', {
      DATABASE_URL: database.url,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'false',
      NODE_ENV: 'production',
      DATABASE_POOL_SIZE: '20',
    });
    processes.push(billing.child);
    const bare = await spawnServer('bench/bare-ws.ts', {});
    processes.push(bare.child);
    const tenants = await setUpOrganizations(billing.graphqlUrl, options.sizes.organizations);
    const one = tenants[0] as Tenant;

    const results: ScenarioResult[] = [];
    // Usage totals so far, per organization and server: a change is known by the total it makes.
    const totals = { billing: new Map<string, number>(), bare: new Map<string, number>() };
    for (const spread of [true, false]) {
      const label = spread
        ? `spread over ${options.sizes.organizations} organizations`
        : 'all in one organization';
      const groups = spread ? tenants : [one];
      results.push(
        await scenario(
          `billing server, ${label}`,
          billing.child,
          options.sizes,
          groups,
          totals.billing,
          {
            connect: (tenant) => connectGraphQLWs(billing.graphqlUrl, tenant.viewerKey),
            trigger: (tenant, sequence) =>
              recordUsage(billing.graphqlUrl, tenant.ingestKey, sequence),
          },
        ),
      );
      results.push(
        await scenario(
          `bare ws broadcast, ${label}`,
          bare.child,
          options.sizes,
          groups,
          totals.bare,
          {
            connect: (tenant) => connectBare(bare.graphqlUrl, tenant.id),
            trigger: (tenant, sequence) => publishBare(bare.graphqlUrl, tenant.id, sequence),
          },
        ),
      );
    }
    return results;
  } finally {
    await stopProcesses(processes);
    await database.drop();
  }
}

interface Tenant {
  id: string;
  viewerKey: string;
  ingestKey: string;
}

interface Receiver {
  socket: WebSocket;
  /** Called with the `used` figure of every usage message. */
  onUsed?: (used: string) => void;
}

/** Opens every socket, measures the server's memory, then drives changes and times deliveries. */
async function scenario(
  name: string,
  server: ChildProcess,
  sizes: FanoutSizes,
  groups: Tenant[],
  totals: Map<string, number>,
  transport: {
    connect: (tenant: Tenant) => Promise<Receiver>;
    trigger: (tenant: Tenant, sequence: number) => Promise<void>;
  },
): Promise<ScenarioResult> {
  const memoryBefore = rssOf(server);
  const receivers: { tenant: Tenant; receiver: Receiver }[] = [];
  for (let i = 0; i < sizes.subscribers; i += 250) {
    const batch = Array.from(
      { length: Math.min(250, sizes.subscribers - i) },
      (_, j) => groups[(i + j) % groups.length] as Tenant,
    );
    receivers.push(
      ...(await Promise.all(
        batch.map(async (tenant) => ({ tenant, receiver: await transport.connect(tenant) })),
      )),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const memoryAfter = rssOf(server);

  // Each change carries a sequence number as its quantity total; a receiver seeing it notes when.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const { tenant, receiver } of receivers) {
    receiver.onUsed = (used) => {
      const started = sentAt.get(`${tenant.id}:${used}`);
      if (started !== undefined) latencies.push(performance.now() - started);
    };
  }
  const triggerTimes: number[] = [];
  const interval =
    1000 / (groups.length > 1 ? sizes.changesPerSecond : sizes.changesPerSecondInOne);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; performance.now() - started < sizes.seconds * 1000; n++) {
    const tenant = groups[n % groups.length] as Tenant;
    const used = (totals.get(tenant.id) ?? 0) + 1;
    totals.set(tenant.id, used);
    sentAt.set(`${tenant.id}:${used}`, performance.now());
    const triggerStarted = performance.now();
    const trigger = transport.trigger(tenant, used).then(() => {
      triggerTimes.push(performance.now() - triggerStarted);
    });
    trigger.catch(() => {});
    pending.push(trigger);
    const wait = started + (n + 1) * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const failures = (await Promise.allSettled(pending)).filter(
    (r) => r.status === 'rejected',
  ) as PromiseRejectedResult[];
  if (failures.length)
    console.error(
      `${name}: ${failures.length} triggers failed, e.g. ${failures[0]?.reason?.cause?.message ?? failures[0]?.reason}`,
    );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const seconds = (performance.now() - started) / 1000;
  // Closed before the next scenario opens as many again.
  await Promise.all(
    receivers.map(
      ({ receiver }) =>
        new Promise<void>((resolve) => {
          receiver.socket.once('close', () => resolve());
          receiver.socket.terminate();
        }),
    ),
  );
  latencies.sort((a, b) => a - b);
  triggerTimes.sort((a, b) => a - b);
  const at = (q: number, values = latencies) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
  return {
    name,
    subscribers: receivers.length,
    messages: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    triggerP99Ms: at(0.99, triggerTimes),
    bytesPerSubscriber: (memoryAfter - memoryBefore) / receivers.length,
  };
}

function connectGraphQLWs(graphqlUrl: string, key: string): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(graphqlUrl.replace('http', 'ws'), 'graphql-transport-ws');
    const receiver: Receiver = { socket };
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }),
      ),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: {
              query:
                'subscription { usageUpdated(meter: "api_requests") { meter { key } used limit pct status } }',
            },
          }),
        );
        resolve(receiver);
      } else if (message.type === 'next') {
        receiver.onUsed?.(message.payload.data.usageUpdated.used);
      }
    });
    socket.on('error', reject);
  });
}

function connectBare(baseUrl: string, group: string): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${baseUrl.replace('http', 'ws').replace(/\/graphql$/, '')}/?group=${group}`,
    );
    const receiver: Receiver = { socket };
    socket.on('open', () => resolve(receiver));
    socket.on('message', (data) =>
      receiver.onUsed?.(JSON.parse(String(data)).payload.data.usageUpdated.used),
    );
    socket.on('error', reject);
  });
}

async function recordUsage(graphqlUrl: string, key: string, sequence: number): Promise<void> {
  await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query: 'mutation ($i: RecordUsageInput!) { recordUsage(input: $i) { __typename } }',
      variables: {
        i: {
          meter: 'api_requests',
          quantity: '1',
          idempotencyKey: `fanout-${sequence}-${randomBytes(6).toString('hex')}`,
        },
      },
    }),
  }).then((r) => r.arrayBuffer());
}

async function publishBare(baseUrl: string, group: string, sequence: number): Promise<void> {
  await fetch(`${baseUrl.replace(/\/graphql$/, '')}/publish?group=${group}&used=${sequence}`, {
    method: 'POST',
  }).then((r) => r.arrayBuffer());
}

async function setUpOrganizations(graphqlUrl: string, count: number): Promise<Tenant[]> {
  const call = async (query: string, key: string) =>
    (await (
      await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query }),
      })
    ).json()) as { data: Record<string, any> };
  const tenants: Tenant[] = [];
  for (let i = 0; i < count; i++) {
    const created = await call(
      `mutation { createOrganization(input: { name: "Fanout ${i}", planKey: "scale" }) { ... on CreateOrganizationSuccess { organization { id } ownerKey { secret } } } }`,
      ADMIN_KEY,
    );
    const { organization, ownerKey } = created.data.createOrganization;
    const key = async (role: string) =>
      (
        await call(
          `mutation { createApiKey(organizationId: "${organization.id}", role: ${role}) { ... on CreateApiKeySuccess { apiKey { secret } } } }`,
          ownerKey.secret,
        )
      ).data.createApiKey.apiKey.secret as string;
    tenants.push({
      id: organization.id,
      viewerKey: await key('VIEWER'),
      ingestKey: await key('INGEST'),
    });
  }
  return tenants;
}

function rssOf(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

export function formatFanout(results: ScenarioResult[]): string {
  const lines = [
    '| scenario | subscribers | messages | messages/s | p50 ms | p99 ms | trigger p99 ms | server memory per subscriber |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.subscribers} | ${r.messages} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.triggerP99Ms.toFixed(1)} | ${(r.bytesPerSubscriber / 1024).toFixed(1)} KB |`,
    ),
    '',
  ];
  for (let i = 0; i + 1 < results.length; i += 2) {
    const ours = results[i] as ScenarioResult;
    const bare = results[i + 1] as ScenarioResult;
    lines.push(
      `${ours.name}: p99 ${(ours.p99Ms / bare.p99Ms).toFixed(2)}× the bare broadcast (target ≤ 2×), ${(ours.bytesPerSubscriber / 1024).toFixed(1)} KB per subscriber (target < 50 KB)`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const results = await runFanoutBench({
    serverUrl,
    sizes: process.env.BENCH_SIZE === 'tiny' ? TINY : FULL,
  });
  console.log(formatFanout(results));
}
