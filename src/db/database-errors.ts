/**
 * The SQLSTATE of a Postgres data exception (class 22: a value the database cannot take, such as
 * a NUL in text or a number past its column) behind an error, or null. Drivers and drizzle wrap
 * the database's error, so the causes are followed.
 */
export function dataExceptionCode(error: unknown): string | null {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('22')) return code;
  }
  return null;
}

/**
 * What the database said, without the statement and its parameters (drizzle's wrapper puts
 * both in its message): the message of the error's deepest cause.
 */
export function databaseReason(error: unknown): string {
  let cause = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}
