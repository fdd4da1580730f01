/**
 * The CLI's expected failures: printed as one line, without a stack trace. Anything else is a
 * bug and is printed with its stack.
 */

/** The command line asks for something the command refuses: exit 2, as for a parse error. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and failed for a reason its user can act on (an unknown organization): exit 1. */
export class CommandFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailure';
  }
}
