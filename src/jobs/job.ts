import type { z } from 'zod';
import type { BackgroundServices } from '../context.ts';
import type { Logger } from '../logger.ts';

/**
 * A background job: its queue name, the payload schema (checked when a job is sent and when it
 * runs), an optional cron schedule (UTC), its retries, and the handler. Every handler is
 * idempotent: safe to run twice, or again after a crash.
 */
export interface JobDefinition<P extends z.ZodType> {
  name: string;
  payload: P;
  /** Cron expression in UTC, e.g. '0 2 * * *'. */
  cron?: string;
  /** Retries after the first attempt, spaced exponentially from `delaySeconds`. */
  retry?: { limit: number; delaySeconds: number };
  /** Jobs with the same key are queued at most once at a time (later sends are dropped). */
  dedupeKey?(payload: z.infer<P>): string;
  handle(payload: z.infer<P>, deps: JobDeps & { attempt: number }): Promise<unknown>;
}

export interface JobDeps {
  services: BackgroundServices;
  log: Logger;
}

export function defineJob<P extends z.ZodType>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}
