import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { DataDirInUseError } from '../db/data-dir-lock.ts';
import { prepareDatabase } from '../db/migrate.ts';
import { ValidationError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { createRequestContext } from '../request-context.ts';
import { createServices } from '../services.ts';
import { COMMANDS, type Command } from './commands.ts';

/**
 * `npm run cli -- <command> [options]`: the operator's tools, run against the same database as
 * the server (DATABASE_URL, or the embedded DATA_DIR when the server is not holding it).
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command: Command | undefined = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(usage());
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  let options: Parameters<Command['run']>[1];
  try {
    options = parseArgs({ args: rest, options: command.options, strict: true }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage()}`);
    return 2;
  }

  const config = loadConfig();
  const log = createLogger({ ...config.server, logLevel: 'warn' });
  const handle = await openDatabase(config.database);
  try {
    const seeded = await prepareDatabase(handle, {
      bootstrapAdminKey: config.auth.bootstrapAdminKey,
    });
    if (seeded.generatedAdminKey) {
      process.stdout.write(
        `New database: its ADMIN key, shown once: ${seeded.generatedAdminKey}\n`,
      );
    }
    const shared = await createServices(handle, config, { log });
    try {
      const ctx = createRequestContext(shared.services, { principal: null, log, requestId: 'cli' });
      return (await command.run(ctx, options, (line) => process.stdout.write(`${line}\n`))) ?? 0;
    } finally {
      await shared.close();
    }
  } finally {
    await handle.close();
  }
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.usage}`);
  return `Usage: npm run cli -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof DataDirInUseError ||
    error instanceof ValidationError
  ) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
}
