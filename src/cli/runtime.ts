import { ConfigError, loadConfig } from '../config.ts';
import type { RequestContext } from '../context.ts';
import { openDatabase } from '../db/client.ts';
import { DataDirInUseError } from '../db/data-dir-lock.ts';
import { prepareDatabase } from '../db/migrate.ts';
import {
  BillingProviderError,
  NotFoundError,
  QuotaExceededError,
  ValidationError,
} from '../errors.ts';
import { createLogger } from '../logger.ts';
import { createRequestContext } from '../request-context.ts';
import { seedCatalog } from '../resolvers/catalog/catalog-file.ts';
import { createServices } from '../services.ts';
import { CommandFailure } from './failures.ts';

/**
 * What a command does once the database is open. Resolves to the exit status when it is not 0.
 * Loaded only when a command runs (never for --help or a usage error): it pulls in the database
 * drivers, the job queue and Stripe.
 */
export type Work = (
  ctx: RequestContext,
  print: (line: string) => void,
) => Promise<number | undefined>;

/**
 * Runs a command's work on the server's database (DATABASE_URL, or the embedded DATA_DIR when the
 * server is not holding it), with the services a request has, then closes everything. The
 * failures a user can act on (configuration, a held data directory, the domain's errors) come
 * back as a CommandFailure.
 */
export async function withContext(work: Work): Promise<number> {
  try {
    return await openAndRun(work);
  } catch (error) {
    if (isExpected(error)) throw new CommandFailure(error.message, { cause: error });
    throw error;
  }
}

async function openAndRun(work: Work): Promise<number> {
  const config = loadConfig();
  const log = createLogger({ ...config.server, logLevel: 'warn' });
  const handle = await openDatabase(config.database);
  try {
    const seeded = await prepareDatabase(handle, {
      bootstrapAdminKey: config.auth.bootstrapAdminKey,
      seedCatalog: (db) => seedCatalog(db, config.catalog.file),
    });
    if (seeded.generatedAdminKey) {
      // On stderr: stdout is the command's output (`catalog export > catalog.json`).
      process.stderr.write(
        `New database: its ADMIN key, shown once: ${seeded.generatedAdminKey}\n`,
      );
    }
    const shared = await createServices(handle, config, { log });
    try {
      const ctx = createRequestContext(shared.services, { principal: null, log, requestId: 'cli' });
      return (await work(ctx, (line) => process.stdout.write(`${line}\n`))) ?? 0;
    } finally {
      await shared.close();
    }
  } finally {
    await handle.close();
  }
}

function isExpected(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof DataDirInUseError ||
    error instanceof ValidationError ||
    error instanceof NotFoundError ||
    error instanceof BillingProviderError ||
    error instanceof QuotaExceededError
  );
}
