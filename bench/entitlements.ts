// `npm run bench:entitlements`: the entitlement checks on a producer's hot path, each beside the
// bare baseline measured in the same run: GET /v1/check against a bare node:http server
// answering a constant, GraphQL checkFeature against bare Yoga `{ __typename }`. Prints a table;
// exits 0 either way (targets are reported, not asserted).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { scratchDatabase, spawnServer, stopProcesses } from './harness.ts';
import { drive, type LoadResult } from './load.ts';

export interface EntitlementBenchSizes {
  requests: number;
  connections: number;
}

export const FULL: EntitlementBenchSizes = { requests: 40_000, connections: 50 };
export const TINY: EntitlementBenchSizes = { requests: 200, connections: 10 };

/** The targets of issue 16: REST ≥ 50 % of bare node:http, p99 ≤ 2×; GraphQL ≥ 70 % of Yoga. */
const TARGETS = { restRate: 0.5, restP99: 2, graphqlRate: 0.7 };

export interface EntitlementBenchReport {
  rest: LoadResult;
  bareHttp: LoadResult;
  graphql: LoadResult;
  bareYoga: LoadResult;
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

    const key = await ingestKeyOfStarter(billing.graphqlUrl);
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
    return {
      rest,
      bareHttp: bare,
      graphql,
      bareYoga: yoga,
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

/** An organization on starter (it grants custom_domains) and its INGEST key. */
async function ingestKeyOfStarter(graphqlUrl: string): Promise<string> {
  const call = async (query: string, key: string) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data: Record<string, any> };
  };
  const created = await call(
    'mutation { createOrganization(input: { name: "Bench", planKey: "starter" }) { ... on CreateOrganizationSuccess { organization { id } ownerKey { secret } } } }',
    ADMIN_KEY,
  );
  const { organization, ownerKey } = created.data.createOrganization;
  const ingest = await call(
    `mutation { createApiKey(organizationId: "${organization.id}", role: INGEST) { ... on CreateApiKeySuccess { apiKey { secret } } } }`,
    ownerKey.secret,
  );
  return ingest.data.createApiKey.apiKey.secret;
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
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sizes = process.env.BENCH_SIZE === 'tiny' ? TINY : FULL;
  const report = await runEntitlementBench({ serverUrl, sizes });
  console.log(formatEntitlementReport(report));
}
