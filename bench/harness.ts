// What every benchmark starts: a Postgres database of its own, and servers as their own processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A new database on the server, and how to drop it (forcibly: servers may still hold it). */
export async function scratchDatabase(serverUrl: string) {
  const name = `billing_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

/** Starts a server script on a free port; resolves once it prints its GraphQL URL. */
export function spawnServer(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<{ child: ChildProcess; graphqlUrl: string }>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = /GraphQL: (http:\/\/\S+\/graphql)/.exec(output);
      if (match?.[1]) resolve({ child, graphqlUrl: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
}

/** SIGTERM to each, and wait until all have exited. */
export async function stopProcesses(processes: readonly ChildProcess[]): Promise<void> {
  for (const child of processes) child.kill('SIGTERM');
  await Promise.all(
    processes.map((child) => new Promise((resolve) => child.once('exit', resolve))),
  );
}

/** An organization on `planKey`, made with the ADMIN key: its OWNER and INGEST keys. */
export async function benchOrganization(
  graphqlUrl: string,
  adminKey: string,
  planKey: string,
): Promise<{ ownerKey: string; ingestKey: string }> {
  const call = async (query: string, key: string) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data: Record<string, any> };
  };
  const created = await call(
    `mutation { createOrganization(input: { name: "Bench", planKey: "${planKey}" }) { ... on CreateOrganizationSuccess { organization { id } ownerKey { secret } } } }`,
    adminKey,
  );
  const { organization, ownerKey } = created.data.createOrganization;
  const ingest = await call(
    `mutation { createApiKey(organizationId: "${organization.id}", role: INGEST) { ... on CreateApiKeySuccess { apiKey { secret } } } }`,
    ownerKey.secret,
  );
  return { ownerKey: ownerKey.secret, ingestKey: ingest.data.createApiKey.apiKey.secret };
}
