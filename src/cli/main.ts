import { CommanderError } from 'commander';
import { CommandFailure, UsageError } from './failures.ts';
import { cliProgram } from './program.ts';

/**
 * `npm run cli -- <command> [options]`: the operator's tools, run against the same database as
 * the server. Exit status: 0 done, 1 the command failed, 2 a usage error (nothing was run).
 * Expected failures are one line on stderr; only a bug prints a stack trace.
 */
async function main(argv: string[]): Promise<number> {
  try {
    await cliProgram().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the help or the error already. No command at all: the help, as
      // `help` shows it.
      return error.exitCode === 0 || error.code === 'commander.help' ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CommandFailure) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
