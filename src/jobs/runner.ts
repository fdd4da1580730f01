import { fromPglite, type JobResult, PgBoss } from 'pg-boss';
import type { JobSender } from '../context.ts';
import type { JobStore } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { JobDeps } from './job.ts';
import type { AnyJob } from './registry.ts';

/** The queue as the composition root holds it: requests only see its JobSender side. */
export interface JobQueue extends JobSender {
  /** Starts this process's workers and schedules (JOBS_ENABLED). */
  work(deps: JobDeps): Promise<void>;
  stop(): Promise<void>;
}

/**
 * pg-boss on the server's own database: the embedded PGlite through pg-boss' PGlite adapter, or
 * the Postgres server through a small pool of its own. Every instance can queue jobs; those with
 * JOBS_ENABLED also run them. Schedules live in the database, so a cron job runs once per
 * schedule however many instances run.
 */
export async function startJobQueue(options: {
  store: JobStore;
  log: Logger;
  jobs: AnyJob[];
  pollingIntervalSeconds: number;
  schema: string;
}): Promise<JobQueue> {
  const JOBS = options.jobs;
  const log = options.log.child({ component: 'jobs' });
  const boss = createBoss(options.store, options.schema);
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  await boss.start();
  for (const job of JOBS) {
    // A queue keeps the options it was created with: apply the current ones on every start.
    // A queue's policy is fixed when it is created.
    if (await boss.getQueue(job.name)) await boss.updateQueue(job.name, queueOptions(job));
    else
      await boss.createQueue(job.name, {
        ...queueOptions(job),
        // 'short' allows one queued job per singleton key, which is how dedupeKey is kept.
        ...(job.dedupeKey ? { policy: 'short' as const } : {}),
      });
  }

  return {
    async send(name, payload, sendOptions) {
      const definition = JOBS.find((j) => j.name === name);
      if (!definition) throw new Error(`unknown job ${name}`);
      const data = definition.payload.parse(payload) as object;
      return boss.send(name, data, {
        ...(sendOptions?.startAfterSeconds ? { startAfter: sendOptions.startAfterSeconds } : {}),
        ...(definition.dedupeKey ? { singletonKey: definition.dedupeKey(data) } : {}),
      });
    },
    async work(deps) {
      for (const job of JOBS) {
        if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'UTC' });
        await boss.work(
          job.name,
          {
            pollingIntervalSeconds: options.pollingIntervalSeconds,
            // A backlog (a burst of webhooks, an alert storm) drains without waiting a polling
            // interval per job: full batches are fetched back to back.
            batchSize: BATCH_SIZE,
            burstWhenBatchFull: true,
            perJobResults: true,
          },
          (batch) => runBatch(job, deps, batch),
        );
      }
      log.info({ jobs: JOBS.map((j) => j.name) }, 'job workers started');
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}

const BATCH_SIZE = 10;

/** The embedded PGlite through pg-boss' adapter, or the Postgres server through a small pool. */
function createBoss(store: JobStore, schema: string): PgBoss {
  return store.kind === 'pglite'
    ? new PgBoss({ db: fromPglite(store.client), backend: 'pglite', schema })
    : new PgBoss({
        connectionString: store.url,
        max: 4,
        application_name: 'billing-jobs',
        schema,
      });
}

/** One at a time, in the order queued: a failure retries its own job only. */
async function runBatch(
  job: AnyJob,
  deps: JobDeps,
  batch: { id: string; data: unknown; retryCount: number }[],
): Promise<JobResult[]> {
  const results: JobResult[] = [];
  for (const raw of batch) {
    const jobLog = deps.log.child({ job: job.name, jobId: raw.id, attempt: raw.retryCount });
    try {
      const payload = job.payload.parse(raw.data);
      const output = await job.handle(payload, { ...deps, log: jobLog, attempt: raw.retryCount });
      results.push({ id: raw.id, status: 'completed', output: asOutput(output) });
    } catch (error) {
      jobLog.warn({ err: error }, 'job failed');
      results.push({ id: raw.id, status: 'failed', output: { message: (error as Error).message } });
    }
  }
  return results;
}

/** pg-boss stores a job's output as JSON: only objects are kept. */
function asOutput(output: unknown): object | undefined {
  return typeof output === 'object' && output !== null
    ? output
    : output === undefined
      ? undefined
      : { value: output };
}

function queueOptions(job: AnyJob) {
  return {
    retryLimit: job.retry?.limit ?? 3,
    retryDelay: job.retry?.delaySeconds ?? 30,
    retryBackoff: true,
  };
}
