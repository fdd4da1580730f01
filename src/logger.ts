import { type DestinationStream, type LogFn, type Logger, pino, stdSerializers } from 'pino';
import type { Config } from './config.ts';
import {
  boundValuesOf,
  loggableMessage,
  withoutBoundValues,
  withoutParamsLine,
} from './db/loggable-errors.ts';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Secrets never reach a log line: request headers are not logged at all,
 * these paths are censored in case an object carrying one is logged by mistake, and a failed SQL
 * statement is logged with its text but without the values bound to it (src/db/loggable-errors.ts).
 * `destination`: where the lines go (standard output unless given).
 */
export function createLogger(
  config: Pick<Config['server'], 'logLevel'>,
  destination?: DestinationStream,
) {
  const options = {
    level: config.logLevel,
    base: { service: 'billing-server' },
    serializers: { err: serializeError, error: serializeError },
    hooks: { logMethod: withoutBoundValuesInMessages },
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'secret',
        '*.secret',
        'bootstrapAdminKey',
        '*.bootstrapAdminKey',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * pino's error serializer (message and stack with their causes), minus the bound values; with the
 * statement of a postgres.js error, which keeps it out of sight (not enumerable).
 */
function serializeError(value: unknown): unknown {
  if (!(value instanceof Error) && !hasMessage(value)) return value;
  const serialized = stdSerializers.err(value as Error) as Record<string, unknown>;
  const query = (value as { query?: unknown }).query;
  if (serialized.query === undefined && typeof query === 'string') serialized.query = query;
  return withoutBoundValues(serialized, boundValuesOf(value));
}

const hasMessage = (value: unknown): value is { message: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { message?: unknown }).message === 'string';

/**
 * Messages too: an error logged alone becomes `{ err }` with its message as the line's message,
 * and a message may interpolate one (`failed: ${error}`).
 */
function withoutBoundValuesInMessages(this: Logger, args: Parameters<LogFn>, method: LogFn) {
  const [first, ...rest] = args as unknown[];
  const cleaned = rest.map((arg) => (typeof arg === 'string' ? withoutParamsLine(arg) : arg));
  if (typeof first === 'string') {
    return method.apply(this, [withoutParamsLine(first), ...cleaned] as Parameters<LogFn>);
  }
  if (first instanceof Error && cleaned.length === 0) {
    return method.apply(this, [first, loggableMessage(first)] as Parameters<LogFn>);
  }
  return method.apply(this, [first, ...cleaned] as Parameters<LogFn>);
}
