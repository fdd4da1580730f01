import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wsExecute } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/**
 * The key of a graphql-ws socket, in connection_init's payload, spelled as the usual clients
 * spell it; and close reasons (4401) that say what was missing or wrong.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** One `{ viewer { role } }` over a socket opened with these connectionParams. */
async function viewerWith(connectionParams: Record<string, unknown>) {
  const client = createClient({
    url: server.graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams,
  });
  try {
    return await wsExecute(client, '{ viewer { role } }');
  } finally {
    await client.dispose();
  }
}

describe('connectionParams that carry the key', () => {
  const spellings: [string, (key: string) => Record<string, unknown>][] = [
    ['Authorization', (key) => ({ Authorization: `Bearer ${key}` })],
    ['headers.authorization', (key) => ({ headers: { authorization: `Bearer ${key}` } })],
    ['headers.Authorization', (key) => ({ headers: { Authorization: `Bearer ${key}` } })],
    ['Authorization with "bearer" in lower case', (key) => ({ Authorization: `bearer ${key}` })],
    ['AUTHORIZATION with "BEARER"', (key) => ({ AUTHORIZATION: `BEARER ${key}` })],
    ['Authorization, the bare key', (key) => ({ Authorization: key })],
    ['headers.authorization, the bare key', (key) => ({ headers: { authorization: key } })],
    [
      'the same key twice, spelled differently (top and headers)',
      (key) => ({ Authorization: `Bearer ${key}`, headers: { authorization: ` ${key} ` } }),
    ],
  ];

  it.each(spellings)('%s', async (_name, params) => {
    const outcome = await viewerWith(params(server.adminKey));
    expect(outcome.closed).toBeUndefined();
    expect(outcome.result).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });
});

describe('the 4401 close reason', () => {
  const MISSING =
    "Unauthorized: no API key in connectionParams (send { Authorization: 'Bearer <key>' })";
  const MALFORMED = "Unauthorized: connectionParams Authorization must be 'Bearer <key>'";
  const UNKNOWN = 'Unauthorized: the API key is unknown or revoked';
  const CONFLICTING = 'Unauthorized: connectionParams carry different Authorization values';
  const unknownKey = 'bsk_0000000000000000000000000000000000000000';

  const cases: [string, () => Record<string, unknown>, string][] = [
    ['no connectionParams key at all', () => ({}), MISSING],
    ['an empty Authorization', () => ({ Authorization: '' }), MISSING],
    ['the key under another name', () => ({ token: `Bearer ${server.adminKey}` }), MISSING],
    ['headers that are not an object', () => ({ headers: `Bearer ${server.adminKey}` }), MISSING],
    ['another scheme', () => ({ Authorization: `Basic ${server.adminKey}` }), MALFORMED],
    ['"Bearer" without a key', () => ({ authorization: 'Bearer' }), MALFORMED],
    ['a value that is not a string', () => ({ headers: { Authorization: 42 } }), MALFORMED],
    ['an unknown key', () => ({ Authorization: `Bearer ${unknownKey}` }), UNKNOWN],
    ['an unknown bare key', () => ({ headers: { authorization: unknownKey } }), UNKNOWN],
    [
      'two different keys',
      () => ({
        authorization: `Bearer ${server.adminKey}`,
        headers: { Authorization: unknownKey },
      }),
      CONFLICTING,
    ],
  ];

  it.each(cases)('names %s', async (_name, params, reason) => {
    const outcome = await viewerWith(params());
    expect(outcome.result).toBeUndefined();
    expect(outcome.closed).toEqual({ code: 4401, reason });
    // A close frame carries at most 123 bytes of reason.
    expect(Buffer.byteLength(reason, 'utf8')).toBeLessThanOrEqual(123);
  });
});
