// `npm run bench:entitlements`: the entitlement checks on a producer's hot path, each beside the
// bare baseline measured in the same run: GET /v1/check against a bare node:http server
// answering a constant, GraphQL checkFeature against bare Yoga `{ __typename }`. Prints a table;
// exits 0 either way (targets are reported, not asserted).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EntitlementsClient } from '@graphql-billing/entitlements-client';
import WebSocket from 'ws';
import { benchOrganization, scratchDatabase, spawnServer, stopProcesses } from './harness.ts';
import { drive, type LoadResult } from './load.ts';

export interface EntitlementBenchSizes {
  requests: number;
  connections: number;
  /** can() calls timed on one core. */
  canCalls: number;
  /** Plan changes whose arrival at the client is timed. */
  planChanges: number;
}

export const FULL: EntitlementBenchSizes = {
  requests: 40_000,
  connections: 50,
  canCalls: 5_000_000,
  planChanges: 40,
};
export const TINY: EntitlementBenchSizes = {
  requests: 200,
  connections: 10,
  canCalls: 10_000,
  planChanges: 2,
};

/**
 * The targets of issue 16: REST ≥ 50 % of bare node:http, p99 ≤ 2×; GraphQL ≥ 70 % of Yoga; the
 * client's can() ≥ 1,000,000 a second on one core, a plan change reaching it in ≤ 250 ms (p99).
 */
const TARGETS = {
  restRate: 0.5,
  restP99: 2,
  graphqlRate: 0.7,
  canPerSecond: 1e6,
  changeP99Ms: 250,
};

export interface EntitlementBenchReport {
  rest: LoadResult;
  bareHttp: LoadResult;
  graphql: LoadResult;
  bareYoga: LoadResult;
  client: { canPerSecond: number; changeP50Ms: number; changeP99Ms: number };
  ratios: { restRate: number; restP99: number; graphqlRate: number };
}

const ADMIN_KEY = `bsk_bench_admin_${randomBytes(12).toString('hex')}`;

export async function runEntitlementBench(options: {
  serverUrl: string;
  sizes: EntitlementBenchSizes;
}): Promise<EntitlementBenchReport> {
  const { sizes } = options;
  const database = await scratchDatabase(options.serverUrl);
  const processes: ChildProcess[] = [];
  try {
    const billing = await spawnServer('src/main.ts', {
      DATABASE_URL: database.url,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'false',
      NODE_ENV: 'production',
    });
    processes.push(billing.child);
    const bareHttp = await spawnServer('bench/bare-http.ts', {});
    processes.push(bareHttp.child);
    const bareYoga = await spawnServer('bench/bare-yoga.ts', {});
    processes.push(bareYoga.child);

    // starter grants custom_domains.
    const { ingestKey: key, ownerKey } = await benchOrganization(
      billing.graphqlUrl,
      ADMIN_KEY,
      'starter',
    );
    const baseUrl = billing.graphqlUrl.replace(/\/graphql$/, '');
    const load = { concurrency: sizes.connections, requests: sizes.requests };
    const auth = { authorization: `Bearer ${key}` };
    const allowed = (status: number, text: string) =>
      status === 200 && text.includes('"allowed":true');

    // Warm both servers (JIT, caches) before measuring.
    for (const url of [`${baseUrl}/v1/check?feature=custom_domains`, bareHttp.graphqlUrl]) {
      await drive({
        url,
        method: 'GET',
        ...load,
        requests: 500,
        build: () => ({ body: '', headers: auth }),
      });
    }
    const rest = await drive({
      url: `${baseUrl}/v1/check?feature=custom_domains`,
      method: 'GET',
      ...load,
      build: () => ({ body: '', headers: auth }),
      check: allowed,
    });
    const bare = await drive({
      url: bareHttp.graphqlUrl.replace(/\/graphql$/, '/v1/check'),
      method: 'GET',
      ...load,
      build: () => ({ body: '', headers: {} }),
      check: allowed,
    });
    const graphql = await drive({
      url: billing.graphqlUrl,
      ...load,
      build: () => ({
        body: JSON.stringify({ query: '{ checkFeature(feature: "custom_domains") { allowed } }' }),
        headers: { ...auth, 'content-type': 'application/json' },
      }),
      check: allowed,
    });
    const yoga = await drive({
      url: bareYoga.graphqlUrl,
      ...load,
      build: () => ({
        body: JSON.stringify({ query: '{ __typename }' }),
        headers: { 'content-type': 'application/json' },
      }),
      check: (status) => status === 200,
    });
    const client = await measureClient(baseUrl, ownerKey, sizes);
    return {
      rest,
      bareHttp: bare,
      graphql,
      bareYoga: yoga,
      client,
      ratios: {
        restRate: rest.perSecond / bare.perSecond,
        restP99: rest.p99Ms / Math.max(bare.p99Ms, 0.001),
        graphqlRate: graphql.perSecond / yoga.perSecond,
      },
    };
  } finally {
    await stopProcesses(processes);
    await database.drop();
  }
}

/**
 * The client in this process: can() in a tight loop on one core, then plan changes (starter ↔
 * growth, which alone grants sso) timed from the request to the client's new answer.
 */
async function measureClient(baseUrl: string, ownerKey: string, sizes: EntitlementBenchSizes) {
  const client = new EntitlementsClient({
    url: baseUrl,
    apiKey: ownerKey,
    webSocketImpl: WebSocket,
  });
  await client.connect();
  try {
    let allowed = 0;
    const started = performance.now();
    for (let i = 0; i < sizes.canCalls; i++) if (client.can('custom_domains').allowed) allowed++;
    const canPerSecond = sizes.canCalls / ((performance.now() - started) / 1000);
    if (allowed !== sizes.canCalls) throw new Error('can() answered no for an entitled feature');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the live subscriptions are open
    const delays: number[] = [];
    for (let i = 0; i < sizes.planChanges; i++) {
      const upgrade = i % 2 === 0;
      const sent = performance.now();
      await changePlan(baseUrl, ownerKey, upgrade ? 'growth' : 'starter');
      const deadline = sent + 5_000;
      while (client.can('sso').allowed !== upgrade && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      delays.push(performance.now() - sent);
    }
    delays.sort((a, b) => a - b);
    const at = (q: number) =>
      delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0;
    return { canPerSecond, changeP50Ms: at(0.5), changeP99Ms: at(0.99) };
  } finally {
    await client.close();
  }
}

async function changePlan(baseUrl: string, key: string, planKey: string): Promise<void> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      query: `mutation { changePlan(planKey: "${planKey}", timing: IMMEDIATELY) { __typename } }`,
    }),
  });
  const result = (await response.json()) as { data?: { changePlan?: { __typename: string } } };
  if (result.data?.changePlan?.__typename !== 'ChangePlanSuccess') {
    throw new Error(`changePlan to ${planKey}: ${JSON.stringify(result)}`);
  }
}

export function formatEntitlementReport(report: EntitlementBenchReport): string {
  const line = (name: string, r: LoadResult) =>
    `| ${name} | ${r.requests} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.failures} |`;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const { ratios } = report;
  return [
    '| measurement | requests | seconds | requests/s | p50 ms | p99 ms | failures |',
    '|---|---:|---:|---:|---:|---:|---:|',
    line('GET /v1/check?feature=…', report.rest),
    line('baseline: bare node:http, a constant JSON body', report.bareHttp),
    line('GraphQL checkFeature', report.graphql),
    line('baseline: bare Yoga `{ __typename }`', report.bareYoga),
    '',
    `REST / bare node:http rate: ${(ratios.restRate * 100).toFixed(1)} % (target ≥ ${TARGETS.restRate * 100} %): ${verdict(ratios.restRate >= TARGETS.restRate)}`,
    `REST / bare node:http p99: ${ratios.restP99.toFixed(2)}× (target ≤ ${TARGETS.restP99}×): ${verdict(ratios.restP99 <= TARGETS.restP99)}`,
    `checkFeature / bare Yoga rate: ${(ratios.graphqlRate * 100).toFixed(1)} % (target ≥ ${TARGETS.graphqlRate * 100} %): ${verdict(ratios.graphqlRate >= TARGETS.graphqlRate)}`,
    `client can(): ${report.client.canPerSecond.toFixed(0)} a second on one core (target ≥ ${TARGETS.canPerSecond}): ${verdict(report.client.canPerSecond >= TARGETS.canPerSecond)}`,
    `plan change → the client's new answer: p50 ${report.client.changeP50Ms.toFixed(1)} ms, p99 ${report.client.changeP99Ms.toFixed(1)} ms (target p99 ≤ ${TARGETS.changeP99Ms} ms): ${verdict(report.client.changeP99Ms <= TARGETS.changeP99Ms)}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sizes = process.env.BENCH_SIZE === 'tiny' ? TINY : FULL;
  const report = await runEntitlementBench({ serverUrl, sizes });
  console.log(formatEntitlementReport(report));
}
