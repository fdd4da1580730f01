// `npm run bench:ingest`: ingestion and quota-check throughput on the Postgres server, each
// figure beside the raw baseline measured in the same run. Prints a table; exits 0 either way
// (targets are reported, not asserted).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { benchOrganization, scratchDatabase, spawnServer, stopProcesses } from './harness.ts';
import { drive, type LoadResult } from './load.ts';

export interface IngestBenchSizes {
  /** 10,000-event bodies sent to POST /v1/usage. */
  restBodies: number;
  restEventsPerBody: number;
  graphqlBatches: number;
  graphqlBatchSize: number;
  singleEvents: number;
  quotaChecks: number;
}

export const FULL: IngestBenchSizes = {
  restBodies: 24,
  restEventsPerBody: 10_000,
  graphqlBatches: 120,
  graphqlBatchSize: 1_000,
  singleEvents: 10_000,
  quotaChecks: 30_000,
};

export const TINY: IngestBenchSizes = {
  restBodies: 4,
  restEventsPerBody: 200,
  graphqlBatches: 4,
  graphqlBatchSize: 50,
  singleEvents: 100,
  quotaChecks: 200,
};

export interface IngestBenchReport {
  rows: { name: string; result: LoadResult; events: number; eventsPerSecond: number }[];
  raw: { events: number; seconds: number; eventsPerSecond: number };
  bareYoga: LoadResult;
  ratios: { rest: number; graphqlBatch: number; checkQuota: number };
}

const ADMIN_KEY = `bsk_bench_admin_${randomBytes(12).toString('hex')}`;

export async function runIngestBench(options: {
  serverUrl: string;
  sizes: IngestBenchSizes;
}): Promise<IngestBenchReport> {
  const { sizes } = options;
  const database = await scratchDatabase(options.serverUrl);
  const databaseUrl = database.url;
  const processes: ChildProcess[] = [];
  try {
    const billing = await spawnServer('src/main.ts', {
      DATABASE_URL: databaseUrl,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'false',
      NODE_ENV: 'production',
      DATABASE_POOL_SIZE: '20',
    });
    processes.push(billing.child);
    const bare = await spawnServer('bench/bare-yoga.ts', {});
    processes.push(bare.child);

    const { ingestKey } = await benchOrganization(billing.graphqlUrl, ADMIN_KEY, 'scale');
    const baseUrl = billing.graphqlUrl.replace(/\/graphql$/, '');
    const event = (prefix: string, i: number) => ({
      meter: 'api_requests',
      quantity: `${(i % 9) + 1}.5`,
      idempotencyKey: `${prefix}-${i}`,
      metadata: { region: 'eu-west-1', route: '/v1/search' },
    });
    const rows: IngestBenchReport['rows'] = [];
    const auth = { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' };

    // Raw baseline: the same rows, postgres.js multi-row INSERTs of 1,000 into a scratch table
    // shaped like usage_events (its indexes, none of its logic), 4 connections.
    const raw = await rawInsertBaseline(
      databaseUrl,
      sizes.restBodies * sizes.restEventsPerBody,
      event,
    );

    const rest = await drive({
      url: `${baseUrl}/v1/usage`,
      concurrency: 4,
      requests: sizes.restBodies,
      build: (i) => ({
        body: JSON.stringify(
          Array.from({ length: sizes.restEventsPerBody }, (_, j) => event(`rest-${i}`, j)),
        ),
        headers: auth,
      }),
      check: (status, text) =>
        status === 200 && JSON.parse(text).accepted === sizes.restEventsPerBody,
    });
    rows.push(row('POST /v1/usage, 10,000-event bodies, 4 clients', rest, sizes.restEventsPerBody));

    const batch = await drive({
      url: billing.graphqlUrl,
      concurrency: 4,
      requests: sizes.graphqlBatches,
      build: (i) => ({
        body: JSON.stringify({
          query:
            'mutation ($input: [RecordUsageInput!]!) { recordUsageBatch(input: $input) { ... on RecordUsageBatchSuccess { accepted } } }',
          variables: {
            input: Array.from({ length: sizes.graphqlBatchSize }, (_, j) => event(`batch-${i}`, j)),
          },
        }),
        headers: auth,
      }),
      check: (status, text) =>
        status === 200 &&
        JSON.parse(text).data?.recordUsageBatch?.accepted === sizes.graphqlBatchSize,
    });
    rows.push(
      row('recordUsageBatch, 1,000-event batches, 4 clients', batch, sizes.graphqlBatchSize),
    );

    const single = await drive({
      url: billing.graphqlUrl,
      concurrency: 50,
      requests: sizes.singleEvents,
      build: (i) => ({
        body: JSON.stringify({
          query:
            'mutation ($input: RecordUsageInput!) { recordUsage(input: $input) { __typename } }',
          variables: { input: event('single', i) },
        }),
        headers: auth,
      }),
      check: (status, text) => status === 200 && text.includes('RecordUsageSuccess'),
    });
    rows.push(row('recordUsage, single events, 50 connections', single, 1));

    const checkQuota = await drive({
      url: billing.graphqlUrl,
      concurrency: 50,
      requests: sizes.quotaChecks,
      build: () => ({
        body: JSON.stringify({
          query: '{ checkQuota(meter: "api_requests", quantity: "10") { allowed remaining } }',
        }),
        headers: auth,
      }),
      check: (status, text) => status === 200 && text.includes('"allowed":true'),
    });
    rows.push(row('checkQuota, 50 connections', checkQuota, 0));

    const bareYoga = await drive({
      url: bare.graphqlUrl,
      concurrency: 50,
      requests: sizes.quotaChecks,
      build: () => ({
        body: JSON.stringify({ query: '{ __typename }' }),
        headers: { 'content-type': 'application/json' },
      }),
      check: (status) => status === 200,
    });

    return {
      rows,
      raw,
      bareYoga,
      ratios: {
        rest: (rest.perSecond * sizes.restEventsPerBody) / raw.eventsPerSecond,
        graphqlBatch: (batch.perSecond * sizes.graphqlBatchSize) / raw.eventsPerSecond,
        checkQuota: checkQuota.perSecond / bareYoga.perSecond,
      },
    };
  } finally {
    await stopProcesses(processes);
    await database.drop();
  }
}

function row(name: string, result: LoadResult, eventsPerRequest: number) {
  return {
    name,
    result,
    events: result.requests * eventsPerRequest,
    eventsPerSecond: result.perSecond * eventsPerRequest,
  };
}

async function rawInsertBaseline(
  databaseUrl: string,
  total: number,
  event: (
    prefix: string,
    i: number,
  ) => { meter: string; quantity: string; idempotencyKey: string; metadata: unknown },
) {
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  try {
    await sql`create table bench_raw_events (like usage_events including all)`;
    const [org] = await sql`select id from organizations limit 1`;
    const chunks = Math.ceil(total / 1000);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let c = next++; c < chunks; c = next++) {
          const now = new Date();
          const rows = Array.from({ length: Math.min(1000, total - c * 1000) }, (_, j) => {
            const e = event(`raw-${c}`, j);
            return {
              id: `evt_raw_${c}_${j}`,
              organization_id: org?.id,
              meter_key: e.meter,
              quantity: e.quantity,
              idempotency_key: e.idempotencyKey,
              occurred_at: now,
              received_at: now,
              period_start: now,
              metadata: sql.json(e.metadata as never),
            };
          });
          await sql`insert into bench_raw_events ${sql(rows)}`;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { events: total, seconds, eventsPerSecond: total / seconds };
  } finally {
    await sql.end();
  }
}

export function formatReport(report: IngestBenchReport): string {
  const lines = [
    '| measurement | requests | events | seconds | events/s | requests/s | p50 ms | p99 ms | failures |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| raw baseline: postgres.js multi-row INSERT (1,000 rows), 4 connections | ${Math.ceil(report.raw.events / 1000)} | ${report.raw.events} | ${report.raw.seconds.toFixed(2)} | ${report.raw.eventsPerSecond.toFixed(0)} | | | | |`,
    ...report.rows.map(
      (r) =>
        `| ${r.name} | ${r.result.requests} | ${r.events || ''} | ${r.result.seconds.toFixed(2)} | ${r.events ? r.eventsPerSecond.toFixed(0) : ''} | ${r.result.perSecond.toFixed(0)} | ${r.result.p50Ms.toFixed(1)} | ${r.result.p99Ms.toFixed(1)} | ${r.result.failures} |`,
    ),
    `| baseline: bare Yoga \`{ __typename }\`, 50 connections | ${report.bareYoga.requests} | | ${report.bareYoga.seconds.toFixed(2)} | | ${report.bareYoga.perSecond.toFixed(0)} | ${report.bareYoga.p50Ms.toFixed(1)} | ${report.bareYoga.p99Ms.toFixed(1)} | ${report.bareYoga.failures} |`,
    '',
    `REST bulk / raw insert:        ${(report.ratios.rest * 100).toFixed(1)} %  (target ≥ 50 %)`,
    `GraphQL batch / raw insert:    ${(report.ratios.graphqlBatch * 100).toFixed(1)} %  (target ≥ 35 %)`,
    `checkQuota / bare Yoga:        ${(report.ratios.checkQuota * 100).toFixed(1)} %  (target ≥ 70 %)`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sizes = process.env.BENCH_SIZE === 'tiny' ? TINY : FULL;
  const report = await runIngestBench({ serverUrl, sizes });
  console.log(formatReport(report));
}
