import { formatMoney, money } from '../billing/money.ts';
import type { Period } from '../billing/period.ts';
import type { RequestContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { runUsageRollup } from '../jobs/usage-rollup-job.ts';
import { exportCatalog } from '../resolvers/catalog/catalog-export.ts';
import {
  applyCatalog,
  type CatalogChanges,
  diffCatalog,
  readCatalogFile,
} from '../resolvers/catalog/catalog-file.ts';
import { type CatalogFormat, printCatalog } from '../resolvers/catalog/catalog-formats.ts';
import { listPlans } from '../resolvers/catalog/catalog-queries.ts';
import { syncCatalog } from '../resolvers/catalog/stripe-prices.ts';
import { monthBefore, runInvoices } from '../resolvers/invoicing/invoice-run.ts';
import {
  createApiKey,
  createApiKeyInput,
  issueApiKey,
} from '../resolvers/organizations/api-key-issuing.ts';
import {
  createOrganization,
  createOrganizationInput,
} from '../resolvers/organizations/organization-signup.ts';
import { reconcileWithStripe } from '../resolvers/subscriptions/stripe-reconciliation.ts';
import { parseInput } from '../validation.ts';
import { CommandFailure, UsageError } from './failures.ts';
import { progressBar } from './progress-bar.ts';
import type { Work } from './runtime.ts';

/*
 * What each command does, given its parsed options (program.ts parses and checks them). This
 * module and the use cases it calls are loaded only when a command runs.
 */

function requireStripe(ctx: RequestContext): RequestContext {
  if (!ctx.stripe) throw new ValidationError('Stripe is not configured: set STRIPE_SECRET_KEY');
  return ctx;
}

export function createOrg(options: { name: string; email?: string; plan?: string }): Work {
  return async (ctx, print) => {
    const input = parseInput(createOrganizationInput, {
      name: options.name,
      billingEmail: options.email,
      planKey: options.plan,
    });
    const { organization, ownerKey } = await createOrganization(ctx, input);
    print(`organization ${organization.id} (${organization.name})`);
    print(`OWNER key, shown once: ${ownerKey.secret}`);
  };
}

export function createKey(options: { role: string; org?: string }): Work {
  return async (ctx, print) => {
    if (options.role === 'ADMIN') {
      const key = await issueApiKey(ctx.db, { role: 'ADMIN', organizationId: null });
      print(`ADMIN key ${key.id}, shown once: ${key.secret}`);
      return;
    }
    const input = parseInput(createApiKeyInput, {
      organizationId: options.org,
      role: options.role,
    });
    const key = await createApiKey(ctx, input).catch((error: unknown) => {
      if (error instanceof NotFoundError) {
        throw new CommandFailure(`no organization ${input.organizationId}`, { cause: error });
      }
      throw error;
    });
    print(`${key.role} key ${key.id}, shown once: ${key.secret}`);
  };
}

export function usageRollup(options: { day?: string }): Work {
  return async (ctx, print) => {
    const report = await runUsageRollup({ services: ctx, log: ctx.log }, options.day, progressBar);
    print(
      `day ${report.day}: ${report.snapshots} snapshots, ${report.totalsChecked} totals checked, ${report.repaired.length} repaired`,
    );
    for (const r of report.repaired) {
      print(
        `  repaired ${r.organizationId} ${r.meterKey} ${r.periodStart.toISOString().slice(0, 7)}: ${r.stored.value} → ${r.fromEvents.value}`,
      );
    }
  };
}

export function invoiceRun(options: { period?: Period; asOf?: Date; force?: boolean }): Work {
  return async (ctx, print) => {
    if (options.force && ctx.config.server.env === 'production') {
      throw new UsageError(
        'invoice-run: --force is for test environments only (NODE_ENV=production)',
      );
    }
    const asOf = options.asOf ?? ctx.now();
    const month = options.period ?? monthBefore(asOf);
    const report = await runInvoices(ctx, ctx.log, { month, now: asOf, progress: progressBar });
    print(
      `${report.period}: ${report.organizations} organizations to invoice, ${report.created} invoices created${ctx.stripe ? `, ${report.pushed} finalized in Stripe` : ''}`,
    );
    if (!report.final) {
      print(
        `  provisional (DRAFT, still taking late usage) until the grace window ends at ${report.closesAt}; run again then to finalize`,
      );
    }
    for (const f of report.failed)
      print(
        f.invoiceId
          ? `  not in Stripe yet: ${f.invoiceId} (${f.organizationId}): ${f.error}`
          : `  not invoiced: ${f.organizationId}: ${f.error}`,
      );
    return report.failed.length > 0 ? 1 : 0;
  };
}

export function stripeSyncCatalog(): Work {
  return async (ctx, print) => {
    const services = requireStripe(ctx);
    print(`${await syncCatalog(services, ctx.log)} plan versions in sync with Stripe`);
  };
}

export function stripeReconcile(): Work {
  return async (ctx, print) => {
    const services = requireStripe(ctx);
    const { checked, repaired } = await reconcileWithStripe(services, ctx.log);
    print(`${checked} subscriptions checked, ${repaired} repaired`);
  };
}

export function plans(): Work {
  return async (ctx, print) => {
    for (const plan of await listPlans(ctx, { includeArchived: false })) {
      const price = formatMoney(money(plan.basePriceAmount, plan.currency));
      print(
        `${plan.key.padEnd(10)} ${plan.name.padEnd(10)} ${price}/${plan.interval.toLowerCase()}`,
      );
    }
  };
}

export function catalogExport(format: CatalogFormat): Work {
  return async (ctx, print) => {
    print(printCatalog(await exportCatalog(ctx.db), format).trimEnd());
  };
}

/** One line per change, or that there is none. */
function describeChanges(changes: CatalogChanges, subscribers: Record<string, number> = {}) {
  const affected = (key: string) =>
    subscribers[key] === undefined ? '' : ` (${subscribers[key]} subscribers)`;
  const lines = [
    ...changes.meters.map((key) => `meter ${key}`),
    ...changes.features.map((key) => `feature ${key}`),
    ...changes.plans.map((version) => `plan ${version}${affected(version.split(' ')[0] ?? '')}`),
    ...changes.archived.map((key) => `archive ${key}${affected(key)}`),
  ];
  return lines.length > 0 ? lines : ['no changes'];
}

export function catalogDiff(file: string): Work {
  return async (ctx, print) => {
    const diff = await diffCatalog(ctx.db, await readCatalogFile(file));
    for (const line of describeChanges(diff, diff.subscribers)) print(line);
  };
}

export function catalogApply(file: string): Work {
  return async (ctx, print) => {
    const catalog = await readCatalogFile(file);
    const changes = await ctx.db.transaction((tx) => applyCatalog(tx, catalog));
    for (const line of describeChanges(changes)) print(line);
  };
}
