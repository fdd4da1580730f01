import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgliteDirectory,
  createPostgresDatabase,
  type ScratchDatabase,
} from './support/database.ts';
import { gql } from './support/graphql.ts';
import { runCli } from './support/process.ts';
import { startTestServer } from './support/server.ts';

describe('the CLI, beside a running server on one Postgres database', () => {
  let storage: ScratchDatabase;
  beforeAll(async () => {
    storage = await createPostgresDatabase();
  });
  afterAll(() => storage?.drop());

  it('lists plans, creates an organization with a working OWNER key, and more keys', async () => {
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

    const viewerKeyRun = await runCli(
      ['create-key', '--org', orgId ?? '', '--role', 'VIEWER'],
      storage.env,
    );
    expect(viewerKeyRun.code).toBe(0);
    const viewerKey = /shown once: (bsk_\w+)/.exec(viewerKeyRun.stdout)?.[1];

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
      const asViewer = await gql(server.graphqlUrl, '{ viewer { role } }', { key: viewerKey });
      expect(asViewer.data?.viewer.role).toBe('VIEWER');
    } finally {
      await server.stop();
    }
  });

  it('explains bad arguments and exits non-zero', async () => {
    const noName = await runCli(['create-org', '--plan', 'growth'], storage.env);
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain('name');
    const unknown = await runCli(['frobnicate'], storage.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run cli');
    const badOrg = await runCli(
      ['create-key', '--org', 'org_missing', '--role', 'VIEWER'],
      storage.env,
    );
    expect(badOrg.code).toBe(1);
    expect(badOrg.stderr).toContain('no organization org_missing');
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
    } finally {
      await server.stop();
      await storage.drop();
    }
  });
});
