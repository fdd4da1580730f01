import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/raw.ts';
import { createPostgresDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { runCli } from './support/process.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { recordBatch, testClock, uniqueKey, usageOf } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

const clock = testClock('2026-03-16T12:00:00.000Z');
const JOBS_SCHEMA = `pgboss_rollup_${process.pid}`;
const logLines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  server = await startTestServer({ JOBS_ENABLED: 'true', JOBS_SCHEMA: JOBS_SCHEMA }, undefined, {
    now: clock.now,
    log,
  });
});
afterAll(() => server?.stop());

describe('the daily usage rollup (pg-boss)', () => {
  it('is scheduled at 02:00 UTC', async () => {
    const rows = await queryRows<{ name: string; cron: string; timezone: string }>(
      server.db(),
      sql`select name, cron, timezone from ${sql.identifier(JOBS_SCHEMA)}.schedule where name = 'usage-rollup'`,
    );
    expect(rows).toEqual([{ name: 'usage-rollup', cron: '0 2 * * *', timezone: 'UTC' }]);
  });

  it('snapshots the day per (organization, meter), and repairs a total that disagrees with its events', async () => {
    // Created before the day it records usage for.
    clock.set('2026-03-14T00:00:00.000Z');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'growth' });
    clock.set('2026-03-16T12:00:00.000Z');
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    await recordBatch(server.graphqlUrl, ingest, [
      {
        meter: 'api_requests',
        quantity: '100',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-15T01:00:00.000Z',
      },
      {
        meter: 'api_requests',
        quantity: '250.5',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-15T23:59:59.999Z',
      },
      {
        meter: 'api_requests',
        quantity: '7',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-16T00:00:00.000Z',
      },
      {
        meter: 'storage_gb',
        quantity: '12',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-15T10:00:00.000Z',
      },
      {
        meter: 'storage_gb',
        quantity: '9',
        idempotencyKey: uniqueKey(),
        occurredAt: '2026-03-15T11:00:00.000Z',
      },
    ]);
    // Something went wrong beneath the API: the stored total no longer matches the events.
    await server
      .db()
      .execute(
        sql`update usage_totals set value = 1, event_count = 1 where organization_id = ${org.id} and meter_key = 'api_requests'`,
      );
    expect((await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used).toBe('1');

    // No day given: the job takes yesterday by its clock, 2026-03-15.
    await server.app.services?.jobs.send('usage-rollup', {});
    const snapshots = await waitFor('snapshots', async () => {
      const rows = await queryRows<{ meter_key: string; value: string; event_count: number }>(
        server.db(),
        sql`select meter_key, value::text as value, event_count::int as event_count from usage_daily_snapshots
            where organization_id = ${org.id} and day = '2026-03-15' order by meter_key`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(snapshots.map((s) => [s.meter_key, Number(s.value), s.event_count])).toEqual([
      ['api_requests', 350.5, 2],
      ['bandwidth_gb', 0, 0],
      ['seats', 0, 0],
      ['storage_gb', 12, 2],
    ]);
    await waitFor('the repair', async () =>
      (await usageOf(server.graphqlUrl, org.ownerKey, 'api_requests')).used === '357.5'
        ? true
        : undefined,
    );
    const loud = logLines
      .filter((line) => line.includes('USAGE TOTAL MISMATCH'))
      .map((line) => JSON.parse(line));
    expect(loud).toEqual([
      expect.objectContaining({
        level: 50,
        organizationId: org.id,
        meterKey: 'api_requests',
        stored: { value: '1', eventCount: 1 },
        fromEvents: { value: '357.5', eventCount: 3 },
      }),
    ]);
  });
});

describe('the rollup from the CLI, beside a server on one Postgres database', () => {
  it('reports what it snapshotted and repaired, and a second run repairs nothing', async () => {
    const storage = await createPostgresDatabase();
    const other = await startTestServer({}, storage);
    try {
      const org = await createOrganization(other.graphqlUrl, other.adminKey, {
        planKey: 'starter',
      });
      const ingest = await createKey(other.graphqlUrl, org.ownerKey, org.id, 'INGEST');
      await recordBatch(other.graphqlUrl, ingest, [
        { meter: 'bandwidth_gb', quantity: '3', idempotencyKey: uniqueKey() },
      ]);
      await other
        .db()
        .execute(sql`update usage_totals set value = 30 where organization_id = ${org.id}`);
      const today = new Date().toISOString().slice(0, 10);
      const first = await runCli(['usage-rollup', '--day', today], storage.env);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(
        new RegExp(`day ${today}: \\d+ snapshots, 1 totals checked, 1 repaired`),
      );
      expect(first.stdout).toContain(`repaired ${org.id} bandwidth_gb`);
      const second = await runCli(['usage-rollup', '--day', today], storage.env);
      expect(second.stdout).toMatch(/0 repaired/);
      expect((await usageOf(other.graphqlUrl, org.ownerKey, 'bandwidth_gb')).used).toBe('3');
    } finally {
      await other.stop();
      await storage.drop();
    }
  });
});
