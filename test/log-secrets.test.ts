import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { waitFor } from './support/wait.ts';

/**
 * A failed SQL statement is logged with its text and the database's reason, never with the values
 * bound to it: the server's own logger (createLogger) is the one under test.
 */
const lines: string[] = [];
const logged = () => lines.join('');
const log = createLogger(
  { logLevel: 'info' },
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  }),
);

let storage: ScratchDatabase;
let server: TestServer;

beforeAll(async () => {
  // A database of its own: a constraint is added to make inserts fail.
  storage = await createIsolatedStorage();
  server = await startTestServer({}, storage, { log });
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

describe('failed SQL in the logs', () => {
  it('a request whose insert fails: the statement is logged, the signing secret and URL are not', async () => {
    await server
      .db()
      .execute(
        sql.raw(
          `alter table webhook_endpoints add constraint log_secrets_test check (url not like '%fail-in-the-database%')`,
        ),
      );
    const org = await createOrganization(server.graphqlUrl, server.adminKey);
    const marker = `tok_${Date.now()}_urlmarker`;
    const response = await gql(
      server.graphqlUrl,
      'mutation ($url: String!) { createWebhookEndpoint(url: $url) { __typename } }',
      {
        key: org.ownerKey,
        variables: { url: `https://hooks.example.com/fail-in-the-database?token=${marker}` },
      },
    );
    expect(response.errors?.[0]?.message).toBe('Unexpected error.');

    const line = await waitFor('the unexpected error logged', () =>
      lines.find((l) => l.includes('unexpected error') && l.includes('webhook_endpoints')),
    );
    const entry = JSON.parse(line);
    expect(entry.err.query).toMatch(/^insert into "webhook_endpoints"/);
    expect(entry.err.message).toMatch(/violates check constraint "log_secrets_test"/);
    expect(entry.err).not.toHaveProperty('params');
    expect(logged()).not.toContain('whsec_');
    expect(logged()).not.toContain(marker);
    expect(logged()).not.toContain('params:');
  });

  it('an error logged as err, alone, as its cause or inside a message shows no bound value', async () => {
    const secret = `whsec_${Date.now()}_directsecret`;
    const email = `someone.${Date.now()}@example.test`;
    const error = await server
      .db()
      .execute(sql`select ${secret}::uuid as id, ${email} as email`)
      .then(
        () => expect.unreachable(),
        (e: unknown) => e as Error & { cause: Error },
      );
    // Before: the secret is in the error, so it is what the logger has to keep out.
    expect(String(error)).toContain(secret);
    expect(String(error.cause.message)).toContain(secret);

    const start = lines.length;
    log.error({ err: error }, 'as err');
    log.error(error);
    log.warn({ err: error.cause }, 'the database error itself');
    log.error({ organizationId: 'org_x' }, `interpolated: ${error}`);
    log.child({ job: 'x' }).error({ error }, 'as error, from a child');
    const written = lines.slice(start);
    expect(written).toHaveLength(5);
    for (const text of written) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(email);
      expect(text).toContain('select $1::uuid as id, $2 as email');
    }
    const [asErr, alone, cause] = written.map((text) => JSON.parse(text));
    expect(asErr.err.message).toMatch(/invalid input syntax for type uuid: "\[redacted\]"/);
    expect(alone.msg).toBe('Failed query: select $1::uuid as id, $2 as email');
    expect(cause.err.code).toBe('22P02');
    expect(cause.err).not.toHaveProperty('params');
    expect(cause.err).not.toHaveProperty('parameters');
  });
});
