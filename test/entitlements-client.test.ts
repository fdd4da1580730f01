import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EntitlementsClient } from '@graphql-billing/entitlements-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql, sleep } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function until(what: string, ok: () => boolean, ms = 2_000) {
  const started = Date.now();
  while (!ok()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

describe('the entitlements client', () => {
  let org: TestOrganization;
  beforeAll(async () => {
    org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  });

  it('answers in process and follows a plan change and usage live', {
    timeout: 30_000,
  }, async () => {
    const client = new EntitlementsClient({
      url: server.url,
      apiKey: org.ownerKey,
      webSocketImpl: WebSocket,
    });
    try {
      expect(await client.connect()).toBe('server');
      expect(client.can('custom_domains')).toMatchObject({ allowed: true, source: 'server' });
      expect(client.can('sso').allowed).toBe(false);
      // starter: 5 seats, HARD (a gauge: a check asks for the new count).
      expect(client.check('seats', 5).allowed).toBe(true);
      expect(client.check('seats', 6).allowed).toBe(false);

      await sleep(300); // the live subscriptions are open
      const changed = await gql(
        server.graphqlUrl,
        'mutation { changePlan(planKey: "growth") { __typename } }',
        { key: org.ownerKey },
      );
      expect(changed.data?.changePlan.__typename).toBe('ChangePlanSuccess');
      await until('sso after the upgrade', () => client.can('sso').allowed);
      // growth: 20 seats.
      expect(client.check('seats', 20).allowed).toBe(true);

      const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
      await record(server.graphqlUrl, ingest, {
        meter: 'seats',
        quantity: '18',
        idempotencyKey: uniqueKey(),
      });
      await until('the seats recorded', () => client.check('seats', 1).remaining === 2);
    } finally {
      await client.close();
    }
  });

  it('answers offline from a saved token in a process of its own', {
    timeout: 60_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'entitlements-client-'));
    const env = {
      BILLING_URL: server.url,
      API_KEY: org.ownerKey,
      FEATURE: 'custom_domains',
      TOKEN_FILE: join(dir, 'token.json'),
      DEVICE_ID: 'laptop-1',
    };
    const online = await runExample('online', env);
    expect(online.code).toBe(0);
    expect(online.lines[0]).toMatchObject({
      connected: 'server',
      custom_domains: { allowed: true, source: 'server' },
    });
    // The server is unreachable now (nothing listens on port 9): the token answers.
    const offline = await runExample('offline', { ...env, BILLING_URL: 'http://127.0.0.1:9' });
    expect(offline.code).toBe(0);
    expect(offline.lines[0]).toMatchObject({
      connected: 'token',
      custom_domains: { allowed: true, source: 'token' },
    });
  });
});

function runExample(mode: string, env: Record<string, string>) {
  const main = fileURLToPath(new URL('../examples/entitlements-client/main.ts', import.meta.url));
  return new Promise<{ code: number | null; lines: Record<string, unknown>[] }>((resolve) => {
    const child = spawn(process.execPath, [main, mode], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('exit', (code) =>
      resolve({
        code,
        lines: stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      }),
    );
  });
}
