import { describe, expect, it } from 'vitest';
import { formatReport, runIngestBench, TINY } from '../bench/ingest.ts';

/**
 * The ingestion benchmark at a tiny size, so that it keeps working. Its figures mean nothing at
 * this size and are not asserted; that every request of every phase succeeded is.
 */
describe('bench:ingest at a tiny size', () => {
  it('runs every phase against real servers without a failed request', {
    timeout: 120_000,
  }, async () => {
    const serverUrl = new URL(
      process.env.DATABASE_URL ??
        process.env.TEST_POSTGRES_URL ??
        'postgres://postgres@127.0.0.1:5432/postgres',
    );
    serverUrl.pathname = '/postgres';
    const report = await runIngestBench({ serverUrl: serverUrl.toString(), sizes: TINY });
    expect(report.rows.map((r) => [r.name, r.result.requests, r.result.failures])).toEqual([
      ['POST /v1/usage, 10,000-event bodies, 4 clients', TINY.restBodies, 0],
      ['recordUsageBatch, 1,000-event batches, 4 clients', TINY.graphqlBatches, 0],
      ['recordUsage, single events, 50 connections', TINY.singleEvents, 0],
      ['checkQuota, 50 connections', TINY.quotaChecks, 0],
    ]);
    expect(report.bareYoga.failures).toBe(0);
    expect(report.raw.events).toBe(TINY.restBodies * TINY.restEventsPerBody);
    expect(formatReport(report)).toContain('checkQuota / bare Yoga');
  });
});
