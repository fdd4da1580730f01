import { fromPglite, PgBoss } from 'pg-boss';
import type { JobStore } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { JobDefinition, JobDeps } from './job.ts';
import { usageRollupJob } from './usage-rollup.ts';

// biome-ignore lint/suspicious/noExplicitAny: a registry of jobs with different payload types
export const JOBS: JobDefinition<any>[] = [usageRollupJob];

export interface JobRunner {
  /** Queues a job after checking its payload against the job's schema. */
  send(name: string, payload: unknown): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * pg-boss on the server's own database: the embedded PGlite through pg-boss' PGlite adapter, or
 * the Postgres server through a small pool of its own. Schedules are registered once per queue
 * in the database, so a cron job runs once per schedule however many instances run.
 */
export async function startJobRunner(deps: {
  store: JobStore;
  services: JobDeps['services'];
  log: Logger;
}): Promise<JobRunner> {
  const log = deps.log.child({ component: 'jobs' });
  const boss =
    deps.store.kind === 'pglite'
      ? new PgBoss({ db: fromPglite(deps.store.client), backend: 'pglite' })
      : new PgBoss({ connectionString: deps.store.url, max: 4, application_name: 'billing-jobs' });
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  await boss.start();

  for (const job of JOBS) {
    await boss.createQueue(job.name, { retryLimit: job.retryLimit ?? 3, retryBackoff: true });
    if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'UTC' });
    await boss.work(job.name, async ([raw]) => {
      if (!raw) return;
      const jobLog = log.child({ job: job.name, jobId: raw.id });
      const payload = job.payload.parse(raw.data);
      jobLog.info('job started');
      await job.handle(payload, { services: deps.services, log: jobLog });
    });
  }
  log.info({ jobs: JOBS.map((j) => j.name) }, 'job runner started');

  return {
    async send(name, payload) {
      const definition = JOBS.find((j) => j.name === name);
      if (!definition) throw new Error(`unknown job ${name}`);
      return boss.send(name, definition.payload.parse(payload) as object);
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
