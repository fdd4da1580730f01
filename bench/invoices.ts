import { startStripeFake } from '@graphql-billing/stripe-fake';
import { pino } from 'pino';
import postgres from 'postgres';
import Stripe from 'stripe';
import { type Period, parseBillingMonth } from '../src/billing/period.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { prepareDatabase } from '../src/db/migrate.ts';
import { type InvoiceRunReport, runInvoices } from '../src/resolvers/invoicing/invoice-run.ts';
import { createServices } from '../src/services.ts';
import { scratchDatabase } from './harness.ts';

export interface InvoiceBenchSizes {
  organizations: number;
  /** Organizations whose invoices go to the Stripe fake (the projection scales them up). */
  stripeOrganizations: number;
}

export const FULL: InvoiceBenchSizes = { organizations: 10_000, stripeOrganizations: 1_000 };
export const TINY: InvoiceBenchSizes = { organizations: 300, stripeOrganizations: 30 };

/** Live Stripe's limit, which the fake enforces here. */
const STRIPE_LIMIT_PER_SECOND = 100;
const MONTH = parseBillingMonth('2026-03') as Period;
// The end of March's 48 h grace window: the run that makes the invoices final.
const AS_OF = new Date('2026-04-03T00:00:00.000Z');
const log = pino({ level: 'silent' });

export interface InvoiceBenchReport {
  sizes: InvoiceBenchSizes;
  raw: { organizations: number; seconds: number; perSecond: number };
  ledger: { report: InvoiceRunReport; seconds: number; perSecond: number };
  stripe: {
    report: InvoiceRunReport;
    seconds: number;
    invoicesPerSecond: number;
    requests: number;
    requestsPerSecond: number;
    rateLimited: number;
    requestsPerInvoice: number;
    /** What the fake's limit allows at best: limit / requests per invoice. */
    boundPerSecond: number;
    projectedSecondsFor10k: number;
  };
}

export async function runInvoiceBench(options: {
  serverUrl: string;
  sizes: InvoiceBenchSizes;
}): Promise<InvoiceBenchReport> {
  const { sizes } = options;
  const ledgerDb = await scratchDatabase(options.serverUrl);
  const stripeDb = await scratchDatabase(options.serverUrl);
  try {
    const { raw, ledger } = await ledgerPhase(ledgerDb.url, sizes.organizations);
    const stripe = await stripePhase(stripeDb.url, sizes.stripeOrganizations);
    return { sizes, raw, ledger, stripe };
  } finally {
    await ledgerDb.drop();
    await stripeDb.drop();
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

/** With Stripe: customers made before the limit applies, then the run under it. */
async function stripePhase(databaseUrl: string, organizations: number) {
  const fake = await startStripeFake();
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  let opened: Awaited<ReturnType<typeof openServices>> | undefined;
  try {
    const client = new Stripe('sk_test_bench', { ...fake.clientOptions, maxNetworkRetries: 0 });
    const customers: string[] = [];
    for (let i = 0; i < organizations; i += 50) {
      const made = await Promise.all(
        Array.from({ length: Math.min(50, organizations - i) }, (_, j) =>
          client.customers.create({ name: `Bench ${i + j}` }),
        ),
      );
      customers.push(...made.map((c) => c.id));
    }
    fake.setRateLimit(STRIPE_LIMIT_PER_SECOND);
    opened = await openServices(databaseUrl, {
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_WEBHOOK_SECRET: fake.webhookSecret,
      STRIPE_API_BASE: fake.url,
    });
    await seed(sql, organizations, (i) => customers[i] ?? null);
    const before = fake.requests.length;
    const started = performance.now();
    const report = await runInvoices(opened.services, log, { month: MONTH, now: AS_OF });
    const seconds = (performance.now() - started) / 1000;
    if (report.pushed !== organizations || report.failed.length > 0) {
      throw new Error(`pushed ${report.pushed}, failed ${report.failed.length}`);
    }
    const requests = fake.requests.length - before;
    const requestsPerInvoice = requests / report.pushed;
    const invoicesPerSecond = report.pushed / seconds;
    return {
      report,
      seconds,
      invoicesPerSecond,
      requests,
      requestsPerSecond: requests / seconds,
      rateLimited: fake.rateLimited,
      requestsPerInvoice,
      boundPerSecond: STRIPE_LIMIT_PER_SECOND / requestsPerInvoice,
      projectedSecondsFor10k: 10_000 / invoicesPerSecond,
    };
  } finally {
    await sql.end();
    await opened?.close();
    await fake.stop();
  }
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
  await prepareDatabase(handle, { bootstrapAdminKey: undefined });
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
  const s = r.stripe;
  return [
    '| measurement | organizations | seconds | organizations/s |',
    '|---|---:|---:|---:|',
    `| raw baseline: read totals + write invoice and line rows (postgres.js, 500 per transaction) | ${r.raw.organizations} | ${r.raw.seconds.toFixed(2)} | ${r.raw.perSecond.toFixed(0)} |`,
    `| invoice run without Stripe: compute and store | ${r.ledger.report.created} | ${r.ledger.seconds.toFixed(2)} | ${r.ledger.perSecond.toFixed(0)} |`,
    `| invoice run with Stripe (fake limited to ${STRIPE_LIMIT_PER_SECOND} requests/s) | ${s.report.pushed} | ${s.seconds.toFixed(2)} | ${s.invoicesPerSecond.toFixed(1)} |`,
    '',
    `without Stripe: ${r.ledger.perSecond.toFixed(0)} organizations/s = ${((r.ledger.perSecond / r.raw.perSecond) * 100).toFixed(1)} % of raw (target ≥ 2,000/s)`,
    `with Stripe: ${s.requests} requests (${s.requestsPerInvoice.toFixed(2)} per invoice) at ${s.requestsPerSecond.toFixed(1)}/s, ${s.rateLimited} refused with 429; the limit allows at best ${s.boundPerSecond.toFixed(1)} invoices/s`,
    `projected real run of 10,000 organizations against live Stripe: ${(s.projectedSecondsFor10k / 60).toFixed(1)} minutes`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sizes = process.env.BENCH_SIZE === 'tiny' ? TINY : FULL;
  console.log(formatInvoiceReport(await runInvoiceBench({ serverUrl, sizes })));
}
