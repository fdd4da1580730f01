import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { uniqueKey, usageOf } from './support/usage.ts';

/** POST /v1/usage: bulk ingestion for producers. */
let server: TestServer;
let org: TestOrganization & { ingest: string; viewer: string };

beforeAll(async () => {
  server = await startTestServer({ USAGE_MAX_BODY_BYTES: String(2 * 1024 * 1024) });
  const created = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
  org = {
    ...created,
    ingest: await createKey(server.graphqlUrl, created.ownerKey, created.id, 'INGEST'),
    viewer: await createKey(server.graphqlUrl, created.ownerKey, created.id, 'VIEWER'),
  };
});
afterAll(() => server?.stop());

function post(body: string, options: { key?: string; contentType?: string } = {}) {
  return fetch(`${server.url}/v1/usage`, {
    method: 'POST',
    headers: {
      ...(options.key === undefined
        ? { authorization: `Bearer ${org.ingest}` }
        : options.key
          ? { authorization: `Bearer ${options.key}` }
          : {}),
      'content-type': options.contentType ?? 'application/json',
    },
    body,
  });
}

const used = async (meter: string) => (await usageOf(server.graphqlUrl, org.ownerKey, meter)).used;

describe("the README's REST example", () => {
  it('makes an INGEST key as the README says, and records with it', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const body = /-d '(\{"query":"mutation \{ createApiKey[^']*)'/.exec(readme)?.[1];
    expect(body).toBeDefined();
    // An organization of its own: the other tests count this one's usage.
    const own = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${own.ownerKey}`, 'content-type': 'application/json' },
      body: (body as string).replace('org_...', own.id),
    });
    const { data } = (await response.json()) as {
      data: { createApiKey: { apiKey: { secret: string } } };
    };
    const secret = data.createApiKey.apiKey.secret;
    expect(secret).toMatch(/^bsk_/);
    const recorded = await post(
      JSON.stringify([{ meter: 'api_requests', quantity: '3', idempotencyKey: uniqueKey() }]),
      { key: secret },
    );
    expect(await recorded.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });
});

describe('POST /v1/usage', () => {
  it('takes a JSON array and answers counts and the rejected ones by index', async () => {
    const dup = uniqueKey();
    const response = await post(
      JSON.stringify([
        { meter: 'bandwidth_gb', quantity: '1.25', idempotencyKey: dup },
        { meter: 'bandwidth_gb', quantity: '1.25', idempotencyKey: dup },
        { meter: 'bandwidth_gb', quantity: 2, idempotencyKey: uniqueKey() },
        { meter: 'bandwidth_gb', quantity: '0', idempotencyKey: uniqueKey() },
        { meter: 'bandwidth_gb', quantity: '10', idempotencyKey: uniqueKey() },
        'not an event',
      ]),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: [
        {
          index: 3,
          error: {
            type: 'ValidationError',
            message: 'quantity: must be greater than 0',
            fieldErrors: [{ path: ['quantity'], message: 'must be greater than 0' }],
          },
        },
        {
          index: 4,
          error: {
            type: 'QuotaExceededError',
            message: expect.stringContaining('HARD limit of 5'),
            meter: 'bandwidth_gb',
            limit: '5',
            used: '3.25',
            requested: '10',
            resetsAt: expect.any(String),
          },
        },
        {
          index: 5,
          error: {
            type: 'ValidationError',
            message: expect.any(String),
            fieldErrors: [{ path: [], message: expect.any(String) }],
          },
        },
      ],
    });
    expect(await used('bandwidth_gb')).toBe('3.25');
  });

  it('takes NDJSON', async () => {
    const lines = Array.from({ length: 3 }, () =>
      JSON.stringify({ meter: 'api_requests', quantity: '2', idempotencyKey: uniqueKey() }),
    );
    const response = await post(`${lines.join('\n')}\n\n`, { contentType: 'application/x-ndjson' });
    expect(await response.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(await used('api_requests')).toBe('6');
  });

  it('stores nothing from a body that does not parse (400)', async () => {
    const good = JSON.stringify({
      meter: 'api_requests',
      quantity: '100',
      idempotencyKey: uniqueKey(),
    });
    const broken = await post(`${good}\n{"meter": "api_requests", "quantity": \n`, {
      contentType: 'application/x-ndjson',
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toMatch(/Line 2 is not valid JSON; nothing was stored/);
    const brokenArray = await post(`[${good},`);
    expect(brokenArray.status).toBe(400);
    const notArray = await post('{"meter": "api_requests"}', { contentType: 'application/json' });
    expect(notArray.status).toBe(400);
    expect(await used('api_requests')).toBe('6');
  });

  it('answers 413 past the size limit and past 10,000 events, storing nothing', async () => {
    const event = (i: number) => ({
      meter: 'api_requests',
      quantity: '1',
      idempotencyKey: `many-${i}-${uniqueKey()}`,
    });
    const tooMany = await post(JSON.stringify(Array.from({ length: 10_001 }, (_, i) => event(i))));
    expect(tooMany.status).toBe(413);
    const huge = await post(
      JSON.stringify([{ ...event(0), metadata: { pad: 'x'.repeat(3 * 1024 * 1024) } }]),
    );
    expect(huge.status).toBe(413);
    expect(await used('api_requests')).toBe('6');
  });

  it('wants an OWNER or INGEST key', async () => {
    const body = JSON.stringify([
      { meter: 'api_requests', quantity: '1', idempotencyKey: uniqueKey() },
    ]);
    expect((await post(body, { key: '' })).status).toBe(401);
    expect((await post(body, { key: 'bsk_wrong' })).status).toBe(401);
    expect((await post(body, { key: org.viewer })).status).toBe(403);
    expect((await post(body, { key: server.adminKey })).status).toBe(403);
    expect((await post(body, { key: org.ownerKey })).status).toBe(200);
    expect(await used('api_requests')).toBe('7');
  });
});
