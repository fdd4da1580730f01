import { spawn } from 'node:child_process';
import { type AddressInfo, createConnection, createServer } from 'node:net';
import { STRIPE_RATE_LIMITS, startStripeFake } from '@graphql-billing/stripe-fake';
import { pino } from 'pino';
import postgres from 'postgres';
import Stripe from 'stripe';
import { type Period, parseBillingMonth } from '../src/billing/period.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { prepareDatabase } from '../src/db/migrate.ts';
import { seedCatalog } from '../src/resolvers/catalog/catalog-file.ts';
import { type InvoiceRunReport, runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createServices } from '../src/services.ts';
import { endpointOf } from '../src/stripe/rate-limits.ts';
import { scratchDatabase } from './harness.ts';

export interface InvoiceBenchSizes {
  organizations: number;
  /** Organizations whose invoices go to the Stripe fake (the projection scales them up). */
  stripeOrganizations: number;
}

export const FULL: InvoiceBenchSizes = { organizations: 10_000, stripeOrganizations: 1_000 };
export const TINY: InvoiceBenchSizes = { organizations: 300, stripeOrganizations: 30 };

/**
 * Stripe's limits, which the fake enforces in the Stripe phases, with a test key: 25 requests a
 * second overall and 25 per endpoint (https://docs.stripe.com/rate-limits).
 */
const STRIPE_KEY = 'sk_test_bench';
const TEST_MODE_LIMIT = STRIPE_RATE_LIMITS.test;
/** The Stripe phases run as this many instances of the server, each with its share of the invoices. */
const INSTANCES = 2;
const MONTH = parseBillingMonth('2026-03') as Period;
// The end of March's 48 h grace window: the run that makes the invoices final.
const AS_OF = new Date('2026-04-03T00:00:00.000Z');
const log = pino({ level: 'silent' });

/** One push of every organization's invoice to the Stripe fake, by INSTANCES instances. */
export interface StripeRun {
  /** The instances' reports added up. */
  report: InvoiceRunReport;
  seconds: number;
  invoicesPerSecond: number;
  /** HTTP requests the fake received, retries included. */
  requests: number;
  requestsPerSecond: number;
  /** Requests the fake refused with 429. */
  rateLimited: number;
  /** Calls whose last attempt failed (stripe-node gave up): their invoice stayed DRAFT. */
  lost: number;
  requestsPerInvoice: number;
  /** Requests per invoice to each endpoint (`POST /v1/invoiceitems`, ...). */
  perEndpoint: Record<string, number>;
}

export interface InvoiceBenchReport {
  sizes: InvoiceBenchSizes;
  raw: { organizations: number; seconds: number; perSecond: number };
  ledger: { report: InvoiceRunReport; seconds: number; perSecond: number };
  /** The raw baseline of the push: no limit at the fake, no pacing. */
  stripeRaw: StripeRun;
  /** As before pacing was shared: each instance alone at 80/s, the fake at test-mode limits. */
  stripeUnshared: StripeRun;
  /** The default: test-mode pacing shared through Redis, the fake at test-mode limits. */
  stripe: StripeRun;
}

export async function runInvoiceBench(options: {
  serverUrl: string;
  sizes: InvoiceBenchSizes;
  /** A Redis for the instances to share; unset: a redis-server of the bench's own. */
  redisUrl?: string;
}): Promise<InvoiceBenchReport> {
  const { sizes } = options;
  const redis = options.redisUrl ? null : await startRedis();
  const redisUrl = options.redisUrl ?? (redis?.url as string);
  const ledgerDb = await scratchDatabase(options.serverUrl).catch(async (error) => {
    await redis?.stop();
    throw error;
  });
  try {
    const { raw, ledger } = await ledgerPhase(ledgerDb.url, sizes.organizations);
    const run = (limited: boolean, env: Record<string, string>) =>
      stripePhase(options.serverUrl, sizes.stripeOrganizations, limited, env);
    const stripeRaw = await run(false, { STRIPE_MAX_REQUESTS_PER_SECOND: '1000' });
    const stripeUnshared = await run(true, { STRIPE_MAX_REQUESTS_PER_SECOND: '80' });
    const stripe = await run(true, { REDIS_URL: redisUrl });
    return { sizes, raw, ledger, stripeRaw, stripeUnshared, stripe };
  } finally {
    await ledgerDb.drop();
    await redis?.stop();
  }
}

/** Without Stripe: the raw baseline, then the invoice run, on the same organizations. */
async function ledgerPhase(databaseUrl: string, organizations: number) {
  const opened = await openServices(databaseUrl, {});
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  try {
    await seed(sql, organizations, () => null);
    const raw = await rawBaseline(sql);
    const started = performance.now();
    const report = await runInvoices(opened.services, log, { month: MONTH, now: AS_OF });
    const seconds = (performance.now() - started) / 1000;
    if (report.created !== organizations) {
      throw new Error(`${report.created} invoices for ${organizations} organizations`);
    }
    return { raw, ledger: { report, seconds, perSecond: report.created / seconds } };
  } finally {
    await sql.end();
    await opened.close();
  }
}

/**
 * With Stripe: customers made before any limit applies, then INSTANCES instances of the server
 * push their invoices at the same time to one fake (one Stripe account), under `env`'s pacing.
 * Each has a database of its own holding its share of the organizations, so that the instances
 * compete for Stripe's budget only, not for the same drafts.
 */
async function stripePhase(
  serverUrl: string,
  organizations: number,
  limited: boolean,
  env: Record<string, string>,
): Promise<StripeRun> {
  const fake = await startStripeFake();
  const databases: Awaited<ReturnType<typeof scratchDatabase>>[] = [];
  const opened: Awaited<ReturnType<typeof openServices>>[] = [];
  const sqls: postgres.Sql[] = [];
  try {
    const client = new Stripe(STRIPE_KEY, { ...fake.clientOptions, maxNetworkRetries: 0 });
    const customers: string[] = [];
    for (let i = 0; i < organizations; i += 50) {
      const made = await Promise.all(
        Array.from({ length: Math.min(50, organizations - i) }, (_, j) =>
          client.customers.create({ name: `Bench ${i + j}` }),
        ),
      );
      customers.push(...made.map((c) => c.id));
    }
    const share = Math.ceil(organizations / INSTANCES);
    for (let n = 0; n < INSTANCES; n++) {
      const database = await scratchDatabase(serverUrl);
      databases.push(database);
      opened.push(
        await openServices(database.url, {
          STRIPE_SECRET_KEY: STRIPE_KEY,
          STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
          STRIPE_API_BASE: fake.url,
          ...env,
        }),
      );
      const sql = postgres(database.url, { max: 4, onnotice: () => {} });
      sqls.push(sql);
      const mine = customers.slice(n * share, (n + 1) * share);
      await seed(sql, mine.length, (i) => mine[i] ?? null);
    }
    if (limited) fake.setRateLimits(STRIPE_RATE_LIMITS);
    const before = fake.requests.length;
    const started = performance.now();
    const reports = await Promise.all(
      opened.map((instance) => runInvoices(instance.services, log, { month: MONTH, now: AS_OF })),
    );
    const seconds = (performance.now() - started) / 1000;
    const report = addedUp(reports);
    const sent = fake.requests.slice(before);
    if (!limited && (report.pushed !== organizations || report.failed.length > 0)) {
      throw new Error(`pushed ${report.pushed}, failed ${report.failed.length}`);
    }
    const perEndpoint: Record<string, number> = {};
    for (const request of sent) {
      const endpoint = endpointOf(request.method, request.path);
      perEndpoint[endpoint] = (perEndpoint[endpoint] ?? 0) + 1 / Math.max(report.pushed, 1);
    }
    return {
      report,
      seconds,
      invoicesPerSecond: report.pushed / seconds,
      requests: sent.length,
      requestsPerSecond: sent.length / seconds,
      rateLimited: sent.filter((request) => request.status === 429).length,
      lost: lostCalls(sent),
      requestsPerInvoice: sent.length / Math.max(report.pushed, 1),
      perEndpoint,
    };
  } finally {
    await Promise.all(sqls.map((sql) => sql.end()));
    await Promise.all(opened.map((instance) => instance.close()));
    await fake.stop();
    await Promise.all(databases.map((database) => database.drop()));
  }
}

/**
 * Calls that never got through: per idempotency key (stripe-node sends one with every POST, the
 * same on each retry), those whose last attempt was not answered 2xx; a request without a key is
 * a call of its own.
 */
function lostCalls(sent: readonly { idempotencyKey?: string; status: number }[]): number {
  const last = new Map<string, number>();
  let lost = 0;
  for (const request of sent) {
    if (request.idempotencyKey) last.set(request.idempotencyKey, request.status);
    else if (request.status < 200 || request.status > 299) lost++;
  }
  for (const status of last.values()) if (status < 200 || status > 299) lost++;
  return lost;
}

function addedUp(reports: InvoiceRunReport[]): InvoiceRunReport {
  const [first] = reports;
  if (!first) throw new Error('no instance ran');
  return {
    ...first,
    organizations: reports.reduce((sum, r) => sum + r.organizations, 0),
    created: reports.reduce((sum, r) => sum + r.created, 0),
    pushed: reports.reduce((sum, r) => sum + r.pushed, 0),
    failed: reports.flatMap((r) => r.failed),
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A redis-server of the bench's own on a free port (nothing persisted), never a shared one. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(
    process.env.REDIS_SERVER_BIN || 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`redis-server did not start (${error.message}); set BENCH_REDIS_URL`)),
    ),
  );
  failed.catch(() => {}); // once started, a late 'error' is not the bench's concern
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  try {
    while (!(await Promise.race([ping(port), failed]))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    async stop() {
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    },
  };
}

async function openServices(databaseUrl: string, env: Record<string, string>) {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    JOBS_ENABLED: 'false',
    ...env,
  });
  const handle = await openDatabase(config.database);
  await prepareDatabase(handle, {
    bootstrapAdminKey: undefined,
    seedCatalog: (db) => seedCatalog(db, config.catalog.file),
  });
  const shared = await createServices(handle, config, { log, now: () => AS_OF });
  return {
    services: shared.services,
    async close() {
      await shared.close();
      await handle.close();
    },
  };
}

/**
 * Organizations on growth since before the month, each with usage over two of its quotas (so two
 * overage lines), varied per organization.
 */
async function seed(
  sql: postgres.Sql,
  count: number,
  customerOf: (index: number) => string | null,
): Promise<void> {
  const [growth] = await sql<
    { id: string }[]
  >`select id from plans where key = 'growth' order by version desc limit 1`;
  const customers = Array.from({ length: count }, (_, i) => customerOf(i));
  await sql`
    insert into organizations (id, name, stripe_customer_id)
    select 'org_bench_' || lpad(g::text, 6, '0'), 'Bench ' || g, (${customers}::text[])[g]
    from generate_series(1, ${count}::int) as g`;
  await sql`
    insert into billing_subscriptions (id, organization_id, plan_id, status, current_period_start, current_period_end)
    select 'sub_bench_' || lpad(g::text, 6, '0'), 'org_bench_' || lpad(g::text, 6, '0'), ${growth?.id as string},
           'ACTIVE', ${MONTH.start}, ${MONTH.end}
    from generate_series(1, ${count}::int) as g`;
  await sql`
    insert into plan_assignments (id, organization_id, plan_id, effective_at)
    select 'pas_bench_' || lpad(g::text, 6, '0'), 'org_bench_' || lpad(g::text, 6, '0'), ${growth?.id as string}, ${MONTH.start}
    from generate_series(1, ${count}::int) as g`;
  await sql`
    insert into usage_totals (organization_id, meter_key, period_start, value, event_count, updated_at)
    select 'org_bench_' || lpad(g::text, 6, '0'), m.key, ${MONTH.start}, m.base + (g * m.step) % m.spread, 1, now()
    from generate_series(1, ${count}::int) as g
    cross join (values ('api_requests', 1000001, 37, 900000), ('storage_gb', 101, 7, 90), ('bandwidth_gb', 10, 3, 200))
      as m(key, base, step, spread)`;
}

/**
 * The floor of the same work in plain postgres.js: per 500 organizations, read the month's totals
 * and write an invoice row and four line rows each in one transaction, nothing computed.
 */
async function rawBaseline(sql: postgres.Sql) {
  await sql`create table bench_raw_invoices (id text primary key, organization_id text, total bigint)`;
  await sql`create table bench_raw_lines (id text primary key, invoice_id text, kind text, amount bigint)`;
  const ids = (await sql<{ id: string }[]>`select id from organizations order by id`).map(
    (r) => r.id,
  );
  const started = performance.now();
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    await sql.begin(async (tx) => {
      const totals = await tx<{ organization_id: string; value: string }[]>`
        select organization_id, meter_key, value from usage_totals
        where period_start = ${MONTH.start} and organization_id = any(${batch}::text[])`;
      const invoices = batch.map((id) => ({
        id: `raw_${id}`,
        organization_id: id,
        total: totals.length,
      }));
      const lines = invoices.flatMap((inv) =>
        [0, 1, 2, 3].map((n) => ({
          id: `${inv.id}_${n}`,
          invoice_id: inv.id,
          kind: 'OVERAGE',
          amount: n,
        })),
      );
      await tx`insert into bench_raw_invoices ${tx(invoices)}`;
      await tx`insert into bench_raw_lines ${tx(lines)}`;
    });
  }
  const seconds = (performance.now() - started) / 1000;
  return { organizations: ids.length, seconds, perSecond: ids.length / seconds };
}

export function formatInvoiceReport(r: InvoiceBenchReport): string {
  const n = r.sizes.stripeOrganizations;
  const row = (what: string, s: StripeRun) =>
    `| ${what} | ${s.report.pushed} | ${s.requests} | ${s.rateLimited} | ${s.lost} | ${s.report.failed.length} | ${s.seconds.toFixed(1)} | ${s.requestsPerSecond.toFixed(1)} |`;
  const s = r.stripe;
  // Live mode with the default pacing: 80/s overall, 20/s per endpoint; the busiest endpoint of
  // an invoice bounds the run.
  const [busiest, perInvoice] = Object.entries(s.perEndpoint).sort((a, b) => b[1] - a[1])[0] ?? [
    'none',
    1,
  ];
  const liveInvoicesPerSecond = Math.min(80 / s.requestsPerInvoice, 20 / perInvoice);
  return [
    '| measurement | organizations | seconds | organizations/s |',
    '|---|---:|---:|---:|',
    `| raw baseline: read totals + write invoice and line rows (postgres.js, 500 per transaction) | ${r.raw.organizations} | ${r.raw.seconds.toFixed(2)} | ${r.raw.perSecond.toFixed(0)} |`,
    `| invoice run without Stripe: compute and store | ${r.ledger.report.created} | ${r.ledger.seconds.toFixed(2)} | ${r.ledger.perSecond.toFixed(0)} |`,
    '',
    `without Stripe: ${r.ledger.perSecond.toFixed(0)} organizations/s = ${((r.ledger.perSecond / r.raw.perSecond) * 100).toFixed(1)} % of raw (target ≥ 2,000/s)`,
    '',
    `Stripe push of ${n} invoices by ${INSTANCES} instances at once (${Math.ceil(n / INSTANCES)} each, 8 in flight each, stripe-node retries 3), test key:`,
    '',
    '| run | invoices pushed | requests sent | 429s | requests lost | invoices failed | seconds | requests/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('raw baseline: fake without limits, no pacing', r.stripeRaw),
    row(
      `each instance paced alone to 80/s (the old default), fake at ${TEST_MODE_LIMIT}/s (test mode)`,
      r.stripeUnshared,
    ),
    row(
      `default pacing (test mode: 20/s overall and per endpoint) shared through Redis, fake at ${TEST_MODE_LIMIT}/s`,
      s,
    ),
    '',
    `${s.requestsPerInvoice.toFixed(2)} requests per invoice (${Object.entries(s.perEndpoint)
      .map(([endpoint, count]) => `${endpoint} ${count.toFixed(2)}`)
      .join(
        ', ',
      )}); ${TEST_MODE_LIMIT}/s allows at best ${(TEST_MODE_LIMIT / s.requestsPerInvoice).toFixed(1)} invoices/s, the default pacing ${(20 / s.requestsPerInvoice).toFixed(1)}; measured ${s.invoicesPerSecond.toFixed(1)}`,
    `projected real run of 10,000 organizations against live Stripe (default pacing 80/s overall, 20/s per endpoint, ${busiest} the busiest): ${(10_000 / liveInvoicesPerSecond / 60).toFixed(1)} minutes`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sizes = process.env.BENCH_SIZE === 'tiny' ? TINY : FULL;
  const redisUrl = process.env.BENCH_REDIS_URL;
  const report = await runInvoiceBench({ serverUrl, sizes, ...(redisUrl ? { redisUrl } : {}) });
  console.log(formatInvoiceReport(report));
}
