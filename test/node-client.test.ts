import { spawn } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** examples/node-client as a user runs it: its own process, against a server on port 0. */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/**
 * Through its npm script, as the README says, with the project's Node 24 taken off PATH: the
 * script must find its Node itself on a machine whose own node is older.
 */
function runNodeClient(env: Record<string, string>, args: string[]) {
  // Only the cache scripts/node24.sh installs into, never a system folder such as /usr/bin.
  const node24 = dirname(process.execPath);
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !(dir === node24 && dir.includes('billing-server')))
    .join(delimiter);
  const child = spawn('npm', ['run', '-s', 'example:node-client', '--', ...args], {
    env: { ...process.env, PATH: path, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('the typed node client', () => {
  it('records usage, hears the threshold alerts it set off, prints them and exits', {
    timeout: 60_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const run = await runNodeClient({ BILLING_URL: server.url, BILLING_API_KEY: org.ownerKey }, [
      '--meter',
      'api_requests',
      '--quantity',
      '80000',
      '--alerts',
      '2',
      '--timeout-seconds',
      '20',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('recorded 80000 api_requests: 80000 of 100000 (80.0%), WARNING');
    const alerts = lines.filter((line) => line.startsWith('ALERT '));
    expect(alerts).toEqual([
      expect.stringMatching(/^ALERT api_requests crossed 50%: 80000 of 100000 \(80\.0%\) at \S+Z$/),
      expect.stringMatching(/^ALERT api_requests crossed 75%: 80000 of 100000 \(80\.0%\) at \S+Z$/),
    ]);
  });

  it('says what is missing without a key, and a refused key is an error', async () => {
    const missing = await runNodeClient({ BILLING_URL: server.url, BILLING_API_KEY: '' }, []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Set BILLING_API_KEY');
    const refused = await runNodeClient(
      { BILLING_URL: server.url, BILLING_API_KEY: 'bsk_not_a_key_of_this_server_000000' },
      ['--timeout-seconds', '10'],
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/4401|Unauthenticated|UNAUTHENTICATED/i);
  });
});
