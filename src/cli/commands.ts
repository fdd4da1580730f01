import type { ParseArgsOptionsConfig } from 'node:util';
import { formatMoney, money } from '../billing/money.ts';
import { parseBillingMonth } from '../billing/period.ts';
import type { RequestContext } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { runUsageRollup } from '../jobs/usage-rollup-job.ts';
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
import { progressBar } from './progress-bar.ts';

function requireStripe(ctx: RequestContext): RequestContext {
  if (!ctx.stripe) throw new ValidationError('Stripe is not configured: set STRIPE_SECRET_KEY');
  return ctx;
}

type Options = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  usage: string;
  options: ParseArgsOptionsConfig;
  /** Resolves to the exit status when it is not 0. */
  run(
    ctx: RequestContext,
    options: Options,
    print: (line: string) => void,
  ): Promise<undefined | number>;
}

export const COMMANDS: Record<string, Command> = {
  'create-org': {
    usage: '--name <name> [--email <billing e-mail>] [--plan <plan key>]   prints the OWNER key',
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      plan: { type: 'string' },
    },
    async run(ctx, options, print) {
      const input = parseInput(createOrganizationInput, {
        name: options.name,
        billingEmail: options.email,
        planKey: options.plan,
      });
      const { organization, ownerKey } = await createOrganization(ctx, input);
      print(`organization ${organization.id} (${organization.name})`);
      print(`OWNER key, shown once: ${ownerKey.secret}`);
    },
  },
  'create-key': {
    usage: '--role <OWNER|VIEWER|INGEST> --org <organization id> | --role ADMIN',
    options: { role: { type: 'string' }, org: { type: 'string' } },
    async run(ctx, options, print) {
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
        if (error instanceof NotFoundError)
          throw new Error(`no organization ${input.organizationId}`);
        throw error;
      });
      print(`${key.role} key ${key.id}, shown once: ${key.secret}`);
    },
  },
  'usage-rollup': {
    usage: '[--day YYYY-MM-DD]   snapshots a UTC day (yesterday) and checks/repairs period totals',
    options: { day: { type: 'string' } },
    async run(ctx, options, print) {
      const day = typeof options.day === 'string' ? options.day : undefined;
      if (day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        throw ValidationError.forField(['day'], 'must be a date such as 2026-03-01');
      }
      const report = await runUsageRollup({ services: ctx, log: ctx.log }, day, progressBar);
      print(
        `day ${report.day}: ${report.snapshots} snapshots, ${report.totalsChecked} totals checked, ${report.repaired.length} repaired`,
      );
      for (const r of report.repaired) {
        print(
          `  repaired ${r.organizationId} ${r.meterKey} ${r.periodStart.toISOString().slice(0, 7)}: ${r.stored.value} → ${r.fromEvents.value}`,
        );
      }
    },
  },
  'invoice-run': {
    usage:
      '[--period YYYY-MM] [--as-of <ISO time>]   invoices the month (the last that ended) exactly once',
    options: { period: { type: 'string' }, 'as-of': { type: 'string' } },
    async run(ctx, options, print) {
      const asOf = typeof options['as-of'] === 'string' ? new Date(options['as-of']) : ctx.now();
      if (Number.isNaN(asOf.getTime())) {
        throw ValidationError.forField(
          ['as-of'],
          'must be an ISO time such as 2026-04-01T06:00:00Z',
        );
      }
      const month =
        typeof options.period === 'string' ? parseBillingMonth(options.period) : monthBefore(asOf);
      if (!month) throw ValidationError.forField(['period'], 'must be a month such as 2026-03');
      const report = await runInvoices(ctx, ctx.log, { month, now: asOf, progress: progressBar });
      print(
        `${report.period}: ${report.organizations} organizations to invoice, ${report.created} invoices created${ctx.stripe ? `, ${report.pushed} finalized in Stripe` : ''}`,
      );
      for (const f of report.failed)
        print(
          f.invoiceId
            ? `  not in Stripe yet: ${f.invoiceId} (${f.organizationId}): ${f.error}`
            : `  not invoiced: ${f.organizationId}: ${f.error}`,
        );
      return report.failed.length > 0 ? 1 : 0;
    },
  },
  'stripe-sync-catalog': {
    usage: 'plans → Stripe products and prices (idempotent)',
    options: {},
    async run(ctx, _options, print) {
      const services = requireStripe(ctx);
      print(`${await syncCatalog(services, ctx.log)} plan versions in sync with Stripe`);
    },
  },
  'stripe-reconcile': {
    usage: 're-reads every Stripe subscription and repairs local state',
    options: {},
    async run(ctx, _options, print) {
      const services = requireStripe(ctx);
      const { checked, repaired } = await reconcileWithStripe(services, ctx.log);
      print(`${checked} subscriptions checked, ${repaired} repaired`);
    },
  },
  plans: {
    usage: 'lists the plans on sale',
    options: {},
    async run(ctx, _options, print) {
      for (const plan of await listPlans(ctx)) {
        const price = formatMoney(money(plan.basePriceAmount, plan.currency));
        print(
          `${plan.key.padEnd(10)} ${plan.name.padEnd(10)} ${price}/${plan.interval.toLowerCase()}`,
        );
      }
    },
  },
};
