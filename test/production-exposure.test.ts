import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { queryRows } from '../src/db/raw.ts';
import { errorCodes, gql, wsClient, wsExecute } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/**
 * What a production server shows strangers: no introspection unless asked for, no "Did you mean"
 * hints, CORS for the listed origins only, and no GraphQL from form posts (CSRF).
 */
const ALLOWED_ORIGIN = 'https://app.example.com';
const EVIL_ORIGIN = 'https://evil.example';

let production: TestServer;
let introspective: TestServer;

beforeAll(async () => {
  [production, introspective] = await Promise.all([
    startTestServer({
      NODE_ENV: 'production',
      CORS_ORIGINS: `${ALLOWED_ORIGIN}, http://localhost:5173`,
    }),
    startTestServer({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }),
  ]);
});
afterAll(() => Promise.all([production?.stop(), introspective?.stop()]));

const INTROSPECTION = '{ __schema { queryType { name } } }';

function messagesOf(response: { errors?: { message: string }[] }): string[] {
  return (response.errors ?? []).map((e) => e.message);
}

describe('introspection in production', () => {
  it('is refused by default, __schema and __type alike; __typename still answers', async () => {
    const schema = await gql(production.graphqlUrl, INTROSPECTION);
    expect(schema.data ?? null).toBeNull();
    expect(messagesOf(schema).join('\n')).toMatch(/introspection has been disabled.*"__schema"/);
    expect(new Set(errorCodes(schema))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));

    const type = await gql(production.graphqlUrl, '{ __type(name: "Plan") { name } }');
    expect(type.data ?? null).toBeNull();
    expect(messagesOf(type).join('\n')).toMatch(/introspection has been disabled.*"__type"/);

    const typename = await gql(production.graphqlUrl, '{ __typename plans { key } }');
    expect(typename.errors).toBeUndefined();
    expect(typename.data?.__typename).toBe('Query');
  });

  it('answers with GRAPHQL_INTROSPECTION=true', async () => {
    const schema = await gql(introspective.graphqlUrl, INTROSPECTION);
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema.queryType.name).toBe('Query');
  });
});

describe('"Did you mean" hints in production', () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    [
      'an enum value in the document',
      'mutation { createApiKey(organizationId: "org_x", role: OWNR) { __typename } }',
    ],
    [
      'an enum value in a variable',
      'mutation ($role: Role!) { createApiKey(organizationId: "org_x", role: $role) { __typename } }',
      { role: 'OWNR' },
    ],
    [
      'an input field in a variable',
      'mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename } }',
      { input: { nme: 'x' } },
    ],
    ['a field', '{ plans { nme } }'],
    ['an argument', '{ plan(ky: "free") { key } }'],
    ['a type', 'query ($key: Strin!) { plan(key: $key) { key } }'],
  ];

  it.each(cases)('are left out for %s', async (_what, query, variables) => {
    const response = await gql(production.graphqlUrl, query, {
      key: production.adminKey,
      ...(variables ? { variables } : {}),
    });
    const messages = messagesOf(response);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(message).not.toMatch(/did you mean/i);
      // Nor a mask in its place, nor the enum value it would have suggested.
      expect(message).not.toMatch(/Suggestion hidden|OWNER/);
    }
  });
});

describe('over WebSocket too', () => {
  it('refuses introspection and gives no hint', async () => {
    const client = wsClient(production.graphqlUrl, production.adminKey);
    try {
      const schema = await wsExecute(client, INTROSPECTION);
      expect(messagesOf(schema.result ?? {}).join('\n')).toMatch(/introspection has been disabled/);
      const typo = await wsExecute(
        client,
        'mutation ($role: Role!) { createApiKey(organizationId: "org_x", role: $role) { __typename } }',
        { role: 'OWNR' },
      );
      const typoMessages = messagesOf(typo.result ?? {});
      expect(typoMessages.join('\n')).toMatch(/"OWNR"/);
      expect(typoMessages.join('\n')).not.toMatch(/did you mean|OWNER/i);
      const field = await wsExecute(client, '{ plans { nme } }');
      expect(messagesOf(field.result ?? {}).join('\n')).toMatch(/Cannot query field "nme"/);
      expect(messagesOf(field.result ?? {}).join('\n')).not.toMatch(/did you mean|Suggestion/i);
    } finally {
      await client.dispose();
    }
  });
});

async function preflight(url: string, origin: string) {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
}

async function postFrom(url: string, origin: string) {
  return fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ plans { key } }' }),
  });
}

describe('CORS', () => {
  it('gives another origin nothing: no preflight approval, no readable answer', async () => {
    const checked = await preflight(production.graphqlUrl, EVIL_ORIGIN);
    expect(checked.headers.get('access-control-allow-origin')).toBeNull();
    expect(checked.headers.get('access-control-allow-credentials')).toBeNull();

    const posted = await postFrom(production.graphqlUrl, EVIL_ORIGIN);
    expect(posted.status).toBe(200);
    expect(posted.headers.get('access-control-allow-origin')).toBeNull();
    expect(posted.headers.get('access-control-allow-credentials')).toBeNull();
    expect(posted.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives no origin anything by default (CORS_ORIGINS unset)', async () => {
    const checked = await preflight(introspective.graphqlUrl, ALLOWED_ORIGIN);
    expect(checked.headers.get('access-control-allow-origin')).toBeNull();
    const posted = await postFrom(introspective.graphqlUrl, ALLOWED_ORIGIN);
    expect(posted.headers.get('access-control-allow-origin')).toBeNull();
    expect(posted.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets an origin of CORS_ORIGINS in, with credentials', async () => {
    for (const origin of [ALLOWED_ORIGIN, 'http://localhost:5173']) {
      const checked = await preflight(production.graphqlUrl, origin);
      expect(checked.status).toBe(204);
      expect(checked.headers.get('access-control-allow-origin')).toBe(origin);
      expect(checked.headers.get('access-control-allow-credentials')).toBe('true');
      expect(checked.headers.get('access-control-allow-headers')).toMatch(/authorization/);

      const posted = await postFrom(production.graphqlUrl, origin);
      expect(posted.headers.get('access-control-allow-origin')).toBe(origin);
      expect(posted.headers.get('access-control-allow-credentials')).toBe('true');
      expect((await posted.json()).data.plans.length).toBeGreaterThan(0);
    }
  });
});

describe('GraphQL POSTs that are not JSON', () => {
  async function organizationNamed(name: string): Promise<boolean> {
    const rows = await queryRows(
      production.db(),
      sql`select 1 from organizations where name = ${name}`,
    );
    return rows.length > 0;
  }

  const creation = (name: string) =>
    `mutation { createOrganization(input: { name: "${name}" }) { __typename } }`;

  function multipart(name: string): FormData {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: creation(name) }));
    form.set('map', '{}');
    return form;
  }

  // FormData and URLSearchParams bodies get their content type from fetch, as from a browser form.
  const bodies: [string, (name: string) => { body: BodyInit; type?: string }][] = [
    ['multipart/form-data', (name) => ({ body: multipart(name) })],
    [
      'application/x-www-form-urlencoded',
      (name) => ({ body: new URLSearchParams({ query: creation(name) }) }),
    ],
    [
      'text/plain',
      (name) => ({ body: JSON.stringify({ query: creation(name) }), type: 'text/plain' }),
    ],
    ['application/graphql', (name) => ({ body: creation(name), type: 'application/graphql' })],
  ];

  it.each(bodies)('answers %s with 415 and executes nothing', async (type, make) => {
    const name = `form-${type.replace(/\W/g, '-')}-${Date.now()}`;
    const { body, type: contentType } = make(name);
    const response = await fetch(production.graphqlUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${production.adminKey}`,
        origin: EVIL_ORIGIN,
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      body,
    });
    expect(response.status).toBe(415);
    expect((await response.json()).errors[0].message).toMatch(
      /^GraphQL POST bodies must be application\/json, not [a-z/-]+$/,
    );
    expect(await organizationNamed(name)).toBe(false);
  });

  it('still executes application/json (the control)', async () => {
    const name = `json-${Date.now()}`;
    const response = await gql(production.graphqlUrl, creation(name), {
      key: production.adminKey,
    });
    expect(response.data?.createOrganization.__typename).toBe('CreateOrganizationSuccess');
    expect(await organizationNamed(name)).toBe(true);
  });
});

describe('the settings', () => {
  it('GRAPHQL_INTROSPECTION: off in production unless set, on elsewhere unless unset', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).graphql.introspection).toBe(false);
    expect(
      loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection,
    ).toBe(true);
    expect(loadConfig({}).graphql.introspection).toBe(true);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).graphql.introspection).toBe(false);
  });

  it('CORS_ORIGINS: origins as browsers send them; none by default; no wildcard, no paths', () => {
    expect(loadConfig({}).server.corsOrigins).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: ' https://App.Example.com/ ,http://localhost:5173,' }).server
        .corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    for (const bad of ['*', 'https://a.example/path', 'app.example.com', 'ftp://a.example']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
  });
});
