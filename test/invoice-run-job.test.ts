import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/raw.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createOrganization } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { testClock } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/** The invoice-run job (pg-boss) at 06:00 on the 1st, inside the month's grace window. */
const clock = testClock('2026-03-01T00:00:00.000Z');
const JOBS_SCHEMA = `pgboss_invoice_run_${process.pid}`;
let storage: ScratchDatabase;
let server: TestServer;

beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({ JOBS_ENABLED: 'true', JOBS_SCHEMA }, storage, {
    now: clock.now,
  });
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

describe('the invoice-run job', () => {
  it('makes provisional invoices, then queues itself for the end of the grace window', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    clock.set('2026-04-01T06:00:00.000Z');
    await server.app.services?.jobs.send('invoice-run', {});
    const follow = await waitFor('the follow-up run', async () => {
      const rows = await queryRows<{ data: { period: string }; wait: number }>(
        server.db(),
        sql`select data, round(extract(epoch from start_after - created_on))::int as wait
            from ${sql.identifier(JOBS_SCHEMA)}.job
            where name = 'invoice-run' and state = 'created' and data ? 'period'`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    // 2026-04-01T06:00 to 2026-04-03T00:00 is 42 h, and a second more.
    expect(follow).toEqual([{ data: { period: '2026-03' }, wait: 42 * 3600 + 1 }]);
    const [invoice] = await queryRows<{ status: string; usage_closed_at: Date | null }>(
      server.db(),
      sql`select status, usage_closed_at from invoices where organization_id = ${org.id}`,
    );
    expect(invoice).toEqual({ status: 'DRAFT', usage_closed_at: null });
  });
});
