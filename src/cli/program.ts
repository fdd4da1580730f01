import { Command, InvalidArgumentError, Option } from 'commander';
import { type Period, parseBillingMonth } from '../billing/period.ts';
import type { CatalogFormat } from '../resolvers/catalog/catalog-formats.ts';
import type * as Commands from './commands.ts';
import { UsageError } from './failures.ts';
import type { Work } from './runtime.ts';

/*
 * The command line: every command, its options and their checks, with nothing heavy imported.
 * Arguments are parsed and checked first; the database, the services and the command's use
 * cases are loaded only once a command runs, so --help and usage errors answer at once.
 */

/** Loads the commands and the runtime, opens the database and runs the selected command. */
async function run(select: (commands: typeof Commands) => Work): Promise<void> {
  const work = select(await import('./commands.ts'));
  const { withContext } = await import('./runtime.ts');
  process.exitCode = await withContext(work);
}

const ROLES = ['OWNER', 'VIEWER', 'INGEST', 'ADMIN'];

/** `--role viewer` is `--role VIEWER`. */
function role(value: string): string {
  const upper = value.toUpperCase();
  if (!ROLES.includes(upper)) {
    throw new InvalidArgumentError(`Allowed choices are ${ROLES.join(', ')} (in any case).`);
  }
  return upper;
}

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new InvalidArgumentError('It must be a date such as 2026-03-01.');
  }
  return value;
}

function month(value: string) {
  const period = parseBillingMonth(value);
  if (!period) throw new InvalidArgumentError('It must be a month such as 2026-03.');
  return period;
}

function isoTime(value: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw new InvalidArgumentError('It must be an ISO time such as 2026-04-01T06:00:00Z.');
  }
  return at;
}

function organizationCommands(program: Command): void {
  program
    .command('create-org')
    .description('creates an organization and prints its OWNER key')
    .requiredOption('--name <name>', "the organization's name")
    .option('--email <billing e-mail>', 'where its invoices go')
    .option('--plan <plan key>', 'the plan it starts on (see `plans`)')
    .action((options: { name: string; email?: string; plan?: string }) =>
      run((c) => c.createOrg(options)),
    );
  program
    .command('create-key')
    .description('creates an API key and prints it (shown once)')
    .addOption(
      new Option('--role <role>', "the key's role, in any case")
        .choices(ROLES)
        .argParser(role)
        .makeOptionMandatory(),
    )
    .option('--org <organization id>', 'the organization the key belongs to (not for ADMIN)')
    .action((options: { role: string; org?: string }) => {
      if (options.role !== 'ADMIN' && !options.org) {
        throw new UsageError(
          'create-key: --org <organization id> is required unless --role is ADMIN',
        );
      }
      return run((c) => c.createKey(options));
    });
}

/** invoice-run refuses, without --force, a month the real clock has not seen end. */
function refuseUnfinished(options: { period?: Period; asOf?: Date }): void {
  const now = new Date();
  const force = 'pass --force to run it anyway (test environments only)';
  if (options.asOf && options.asOf > now) {
    throw new UsageError(
      `invoice-run: --as-of ${options.asOf.toISOString()} is in the future (it is ${now.toISOString()}); ${force}`,
    );
  }
  const period = options.period;
  if (period && period.end > now) {
    throw new UsageError(
      `invoice-run: ${period.start.toISOString().slice(0, 7)} has not ended yet (it ends ${period.end.toISOString()}) and would go on taking usage that is never billed; ${force}`,
    );
  }
}

function billingCommands(program: Command): void {
  program
    .command('usage-rollup')
    .description('snapshots a UTC day, checks and repairs period totals')
    .option('--day <YYYY-MM-DD>', 'the UTC day (default: yesterday)', day)
    .action((options: { day?: string }) => run((c) => c.usageRollup(options)));
  program
    .command('invoice-run')
    .description('invoices a month that has ended, exactly once')
    .option('--period <YYYY-MM>', 'the month (default: the last that ended)', month)
    .option('--as-of <ISO time>', 'run as if it were that moment (default: now)', isoTime)
    .option(
      '--force',
      'test environments only: allow a month that has not ended, or an --as-of in the future',
    )
    .action((options: Parameters<typeof Commands.invoiceRun>[0]) => {
      if (!options.force) refuseUnfinished(options);
      return run((c) => c.invoiceRun(options));
    });
}

function catalogCommands(program: Command): void {
  program
    .command('stripe-sync-catalog')
    .description('plans → Stripe products and prices (idempotent)')
    .action(() => run((c) => c.stripeSyncCatalog()));
  program
    .command('stripe-reconcile')
    .description('re-reads every Stripe subscription, repairs local state')
    .action(() => run((c) => c.stripeReconcile()));
  program
    .command('plans')
    .description('lists the plans on sale')
    .action(() => run((c) => c.plans()));
  const catalog = program
    .command('catalog')
    .description(
      'the catalog as a file: export, diff, apply (see README "Modelling your pricing")',
    );
  catalog
    .command('export')
    .description('prints the catalog (meters, features, plans on sale) as a catalog file')
    .addOption(
      new Option('--format <format>', 'the file format').choices(['json', 'yaml']).default('json'),
    )
    .action((options: { format: CatalogFormat }) => run((c) => c.catalogExport(options.format)));
  catalog
    .command('diff')
    .description('prints what applying FILE would change, and the subscribers it concerns')
    .argument('<file>', 'a catalog file: .json, .yaml or .yml, or a .ts or .js module')
    .action((file: string) => run((c) => c.catalogDiff(file)));
  catalog
    .command('apply')
    .description('applies FILE: defines, publishes and archives as it says (idempotent)')
    .argument('<file>', 'a catalog file: .json, .yaml or .yml, or a .ts or .js module')
    .action((file: string) => run((c) => c.catalogApply(file)));
}

/**
 * `npm run cli -- <command> [options]`: the operator's tools, on the server's database. Parse
 * errors come back as a CommanderError (exitOverride) once commander has printed them.
 */
export function cliProgram(): Command {
  const program = new Command('npm run cli --')
    .usage('<command> [options]')
    .description(
      "The operator's tools, run against the server's database (DATABASE_URL, or DATA_DIR when the server is not holding it).",
    )
    .exitOverride();
  organizationCommands(program);
  billingCommands(program);
  catalogCommands(program);
  // An unknown command shows the list of commands; a command's bad option points at its --help.
  program.showHelpAfterError(true);
  for (const command of program.commands) {
    command.showHelpAfterError(`(see npm run cli -- ${command.name()} --help)`);
  }
  program.addHelpText(
    'after',
    '\nEach command has its own --help: npm run cli -- <command> --help',
  );
  return program;
}
