import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgliteDirectory,
  createPostgresDatabase,
  type ScratchDatabase,
} from './support/database.ts';
import { gql } from './support/graphql.ts';
import { runCli } from './support/process.ts';
import { startTestServer } from './support/server.ts';

const COMMANDS = [
  'create-org',
  'create-key',
  'usage-rollup',
  'invoice-run',
  'stripe-sync-catalog',
  'stripe-reconcile',
  'plans',
  'catalog',
];

/** A database nothing listens on: a command that opened it would fail. */
const NO_DATABASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };

/** What an expected failure looks like: one line on stderr, no stack frames. */
function expectOneLine(stderr: string) {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

describe('the CLI without a database', () => {
  it('--help lists every command on stdout and exits 0', async () => {
    const help = await runCli(['--help'], NO_DATABASE);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run cli -- <command> [options]');
    for (const command of COMMANDS)
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it("<command> --help shows that command's options, without opening the database", async () => {
    const createKey = await runCli(['create-key', '--help'], NO_DATABASE);
    expect(createKey.code).toBe(0);
    expect(createKey.stdout).toContain('Usage: npm run cli -- create-key [options]');
    expect(createKey.stdout).toContain('--role <role>');
    expect(createKey.stdout).toContain('--org <organization id>');
    expect(createKey.stdout).toMatch(/"OWNER",\s+"VIEWER",\s+"INGEST",\s+"ADMIN"/);

    const invoiceRun = await runCli(['invoice-run', '--help'], NO_DATABASE);
    expect(invoiceRun.code).toBe(0);
    for (const option of ['--period <YYYY-MM>', '--as-of <ISO time>', '--force']) {
      expect(invoiceRun.stdout).toContain(option);
    }
    expect(invoiceRun.stdout).toContain('test environments only');
  });

  it('refuses to invoice a month that has not ended by the real clock, unless --force', async () => {
    const now = new Date();
    const thisMonth = now.toISOString().slice(0, 7);
    const current = await runCli(['invoice-run', '--period', thisMonth], NO_DATABASE);
    expect(current.code).toBe(2);
    expect(current.stderr).toContain(`${thisMonth} has not ended yet`);
    expect(current.stderr).toContain('--force');
    expectOneLine(current.stderr);

    const inAMonth = new Date(now.getTime() + 40 * 86_400_000).toISOString();
    const future = await runCli(['invoice-run', '--as-of', inAMonth], NO_DATABASE);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is in the future');
    expect(future.stderr).toContain('--force');
    expectOneLine(future.stderr);
  });
});

describe('the CLI, beside a running server on one Postgres database', () => {
  let storage: ScratchDatabase;
  beforeAll(async () => {
    storage = await createPostgresDatabase();
  });
  afterAll(() => storage?.drop());

  // Four CLI processes (the first migrates a new database) and a server start, one after another.
  it('lists plans, creates an organization with a working OWNER key, and more keys', {
    timeout: 60_000,
  }, async () => {
    const plans = await runCli(['plans'], storage.env);
    expect(plans.code).toBe(0);
    expect(plans.stdout).toMatch(/^starter\s+Starter\s+\$49\.00\/month$/m);

    const created = await runCli(
      ['create-org', '--name', 'Acme CLI', '--plan', 'growth'],
      storage.env,
    );
    expect(created.code).toBe(0);
    const orgId = /organization (org_\w+)/.exec(created.stdout)?.[1];
    const ownerKey = /OWNER key, shown once: (bsk_\w+)/.exec(created.stdout)?.[1];
    expect(orgId && ownerKey).toBeTruthy();

    // Choices are case-insensitive: `--role viewer` is `--role VIEWER`.
    const viewerKeys = await Promise.all(
      ['VIEWER', 'viewer'].map((role) =>
        runCli(['create-key', '--org', orgId ?? '', '--role', role], storage.env),
      ),
    );
    for (const run of viewerKeys) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^VIEWER key \S+, shown once: bsk_\w+$/m);
    }
    const viewerKeyList = viewerKeys.map((run) => /shown once: (bsk_\w+)/.exec(run.stdout)?.[1]);

    const server = await startTestServer({}, storage);
    try {
      const asOwner = await gql(
        server.graphqlUrl,
        '{ viewer { role organization { name subscription { plan { key } } } } }',
        { key: ownerKey },
      );
      expect(asOwner.data?.viewer).toEqual({
        role: 'OWNER',
        organization: { name: 'Acme CLI', subscription: { plan: { key: 'growth' } } },
      });
      for (const key of viewerKeyList) {
        const asViewer = await gql(server.graphqlUrl, '{ viewer { role } }', { key });
        expect(asViewer.data?.viewer.role).toBe('VIEWER');
      }
    } finally {
      await server.stop();
    }
  });

  it('explains bad arguments and exits 2 without running anything', async () => {
    const noName = await runCli(['create-org', '--plan', 'growth'], NO_DATABASE);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("required option '--name <name>'");
    const unknown = await runCli(['frobnicate'], NO_DATABASE);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run cli');
    const badRole = await runCli(['create-key', '--org', 'org_x', '--role', 'boss'], NO_DATABASE);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('Allowed choices are OWNER, VIEWER, INGEST, ADMIN');
  });

  it('an unknown organization: one line on stderr, no stack trace, exit 1', async () => {
    const badOrg = await runCli(
      ['create-key', '--org', 'org_missing', '--role', 'VIEWER'],
      storage.env,
    );
    expect(badOrg.code).toBe(1);
    expect(badOrg.stderr).toContain('no organization org_missing');
    expectOneLine(badOrg.stderr);
  });

  it('invoice-run --force runs a month still running, as of a time to come; never in production', async () => {
    const now = new Date();
    const thisMonth = now.toISOString().slice(0, 7);
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const args = [
      'invoice-run',
      '--period',
      thisMonth,
      '--as-of',
      new Date(nextMonth.getTime() + 6 * 3_600_000).toISOString(),
      '--force',
    ];
    const inProduction = await runCli(args, { ...storage.env, NODE_ENV: 'production' });
    expect(inProduction.code).toBe(2);
    expect(inProduction.stderr).toContain('--force is for test environments only');
    expectOneLine(inProduction.stderr);

    const forced = await runCli(args, storage.env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(
      new RegExp(`^${thisMonth}: \\d+ organizations to invoice, \\d+ invoices created$`, 'm'),
    );
    // 6 hours into the next month is inside the 48 h grace window.
    const closesAt = new Date(nextMonth.getTime() + 48 * 3_600_000).toISOString();
    expect(forced.stdout).toContain(
      `provisional (DRAFT, still taking late usage) until the grace window ends at ${closesAt}`,
    );
  });
});

describe('the CLI on an embedded data directory held by the server', () => {
  it('fails with a message that says so', async () => {
    const storage = await createPgliteDirectory();
    const server = await startTestServer({}, storage);
    try {
      const run = await runCli(['plans'], storage.env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/in use by another process \(pid \d+\)/);
      expectOneLine(run.stderr);
    } finally {
      await server.stop();
      await storage.drop();
    }
  });
});
