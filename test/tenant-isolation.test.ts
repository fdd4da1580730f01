import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql, sleep, wsClient } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';

/**
 * Every query, mutation and subscription field of the schema (read from schema.graphql, so a
 * new field joins by itself), tried with organization A's ids by organization B's keys of each
 * role, and with no key. No answer may carry A's data that the caller did not send, and A is
 * the same afterwards.
 */
const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

// ADMIN's pass runs every mutation, the catalog's too (publishPlan, archivePlan): the catalog
// is global, so this file runs on a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
let a: TestOrganization & { name: string; email: string };
let b: TestOrganization;
const callers: Record<string, string | undefined> = {};
/** A's ids, one of which every ID argument gets in turn. */
const aIds: string[] = [];

beforeAll(async () => {
  storage = await createIsolatedStorage();
  server = await startTestServer({ WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: '' }, storage);
  const name = `isolated-A-${uniqueKey()}`;
  const email = `a-${uniqueKey()}@tenant-a.test`;
  const created = await createOrganization(server.graphqlUrl, server.adminKey, {
    planKey: 'growth',
    name,
    billingEmail: email,
  });
  a = { ...created, name, email };
  b = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'starter' });
  const aIngest = await createKey(server.graphqlUrl, a.ownerKey, a.id, 'INGEST');
  // A crosses thresholds (alerts) and has keys: ids of many kinds to try.
  await record(server.graphqlUrl, aIngest, {
    meter: 'api_requests',
    quantity: '900000',
    idempotencyKey: uniqueKey(),
  });
  const keys = await gql(
    server.graphqlUrl,
    'mutation ($o: ID!) { createApiKey(organizationId: $o, role: VIEWER) { ... on CreateApiKeySuccess { apiKey { id } } } }',
    { key: a.ownerKey, variables: { o: a.id } },
  );
  const alerts = await gql(server.graphqlUrl, '{ alerts(first: 5) { edges { node { id } } } }', {
    key: a.ownerKey,
  });
  aIds.push(
    a.id,
    keys.data?.createApiKey.apiKey.id,
    ...(alerts.data?.alerts.edges ?? []).map((e: { node: { id: string } }) => e.node.id),
  );
  callers.none = undefined;
  callers.bOwner = b.ownerKey;
  callers.bViewer = await createKey(server.graphqlUrl, b.ownerKey, b.id, 'VIEWER');
  callers.bIngest = await createKey(server.graphqlUrl, b.ownerKey, b.id, 'INGEST');
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

interface Attempt {
  root: 'query' | 'mutation' | 'subscription';
  field: string;
  document: string;
  variables: Record<string, unknown>;
}

/** Every root field, once per id of A for its first ID argument (or once when it has none). */
function attempts(): Attempt[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  const all: Attempt[] = [];
  for (const [root, type] of roots) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const idArg = field.args.find((arg) => getNamedType(arg.type).name === 'ID');
      // Subscriptions wait for events: one try each, with A's organization id.
      const ids = !idArg ? [undefined] : root === 'subscription' ? [a.id] : aIds;
      for (const id of ids) all.push(attemptOf(root, field, id));
    }
  }
  return all;
}

function attemptOf(root: Attempt['root'], field: GraphQLField<unknown, unknown>, id?: string) {
  const variables: Record<string, unknown> = {};
  const declared: string[] = [];
  const passed: string[] = [];
  for (const arg of field.args) {
    const value = sampleArg(arg, id);
    if (value === undefined) continue;
    variables[arg.name] = value;
    declared.push(`$${arg.name}: ${String(arg.type)}`);
    passed.push(`${arg.name}: $${arg.name}`);
  }
  const head = declared.length ? `(${declared.join(', ')})` : '';
  const args = passed.length ? `(${passed.join(', ')})` : '';
  const document = `${root} Attempt${head} { ${field.name}${args} ${selection(field.type, 2)} }`;
  return { root, field: field.name, document, variables };
}

function sampleArg(arg: GraphQLArgument, id?: string): unknown {
  if (!isNonNullType(arg.type) && getNamedType(arg.type).name !== 'ID') return undefined;
  return sample(arg.type, id);
}

function sample(type: GraphQLInputType, id?: string): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sample(inner.ofType as GraphQLInputType, id)];
  if (isEnumType(inner)) return inner.getValues()[0]?.value;
  if (isInputObjectType(inner)) {
    const object: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      if (isNonNullType(field.type) || getNamedType(field.type).name === 'ID') {
        object[field.name] = sample(field.type, id);
      }
    }
    return object;
  }
  const samples: Record<string, unknown> = {
    ID: id ?? a.id,
    String: 'api_requests',
    Int: 1,
    Boolean: false,
    Float: 1,
    Decimal: '1',
    MinorUnits: '100',
    DateTime: '2026-01-01T00:00:00.000Z',
    JSON: {},
  };
  return samples[inner.name] ?? 'x';
}

/** The scalar fields of what a field returns, and of objects within, `depth` levels down. */
function selection(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  if (isUnionType(named)) {
    const members = named
      .getTypes()
      .map((member) => `... on ${member.name} ${selection(member, depth)}`);
    return `{ __typename ${members.join(' ')} }`;
  }
  if (!isObjectType(named) && !('getFields' in named)) return '{ __typename }';
  const fields = Object.values(named.getFields())
    .filter((field) => field.args.every((arg) => !isNonNullType(arg.type)))
    .map((field) => {
      const inner = getNamedType(field.type);
      if (isScalarType(inner) || isEnumType(inner)) return field.name;
      return depth > 0 ? `${field.name} ${selection(field.type, depth - 1)}` : '';
    })
    .filter(Boolean);
  return `{ __typename ${fields.join(' ')} }`;
}

/** A's data the caller did not send itself. */
function leaks(answer: string, attempt: Attempt): string[] {
  const sent = JSON.stringify(attempt.variables);
  return [a.name, a.email, ...aIds].filter(
    (secret) => !sent.includes(secret) && answer.includes(secret),
  );
}

/** Runs every attempt as `key`; answers what leaked and which documents did not validate. */
async function matrix(key: string | undefined) {
  const found: string[] = [];
  const invalid: string[] = [];
  const tried = attempts();
  for (const attempt of tried) {
    const answer =
      attempt.root === 'subscription'
        ? await firstMessage(attempt, key)
        : JSON.stringify(
            await gql(server.graphqlUrl, attempt.document, { key, variables: attempt.variables }),
          );
    if (answer.includes('GRAPHQL_VALIDATION_FAILED')) invalid.push(`${attempt.field}: ${answer}`);
    const leaked = leaks(answer, attempt);
    if (leaked.length) found.push(`${attempt.field}: ${leaked.join(', ')}`);
  }
  return { found, invalid, tried };
}

describe.each(['none', 'bOwner', 'bViewer', 'bIngest'])('as %s', (caller) => {
  it('no field of the schema answers with A’s data', { timeout: 120_000 }, async () => {
    const { found, invalid, tried } = await matrix(callers[caller]);
    expect(found).toEqual([]);
    // Every document is one the server runs (else it would prove nothing), for every root field.
    expect(invalid).toEqual([]);
    const names = new Set(tried.map((t) => t.field));
    for (const type of [
      schema.getQueryType(),
      schema.getMutationType(),
      schema.getSubscriptionType(),
    ]) {
      for (const field of Object.keys(type?.getFields() ?? {})) expect(names).toContain(field);
    }
  });
});

it('leaves A as it was: its owner key, its plan, its key and its alerts', async () => {
  const after = await gql(
    server.graphqlUrl,
    '{ viewer { organization { id name subscription { plan { key } } } } alerts(first: 20) { edges { node { id } } } }',
    { key: a.ownerKey },
  );
  expect(after.data?.viewer.organization).toEqual({
    id: a.id,
    name: a.name,
    subscription: { plan: { key: 'growth' } },
  });
  const alertIds = after.data?.alerts.edges.map((e: { node: { id: string } }) => e.node.id);
  expect(alertIds).toEqual(aIds.slice(2));
});

// Last: ADMIN's and A's own mutations change A.
it('finds A’s data where a caller may see it (ADMIN, A’s own owner): the check sees leaks', {
  timeout: 120_000,
}, async () => {
  const asAdmin = await matrix(server.adminKey);
  expect(asAdmin.found.some((line) => line.startsWith('organization:'))).toBe(true);
  const asOwner = await matrix(a.ownerKey);
  expect(asOwner.found.some((line) => line.startsWith('alerts:'))).toBe(true);
});

/** What a subscription sends within 600 ms (an error at once when it is refused). */
async function firstMessage(attempt: Attempt, key: string | undefined): Promise<string> {
  const client = wsClient(server.graphqlUrl, key);
  const messages: unknown[] = [];
  client.subscribe(
    { query: attempt.document, variables: attempt.variables },
    {
      next: (value) => messages.push(value),
      error: (error) => messages.push({ error: String((error as Error)?.message ?? error) }),
      complete: () => {},
    },
  );
  await sleep(600);
  await client.dispose();
  return JSON.stringify(messages);
}
