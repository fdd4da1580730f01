import { pino } from 'pino';
import type { Config } from './config.ts';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Secrets never reach a log line: request headers are not logged at all, and
 * these paths are censored in case an object carrying one is logged by mistake.
 */
export function createLogger(config: Config['server']) {
  return pino({
    level: config.logLevel,
    base: { service: 'billing-server' },
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
  });
}
