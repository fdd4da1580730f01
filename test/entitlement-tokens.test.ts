import { createPublicKey, generateKeyPairSync, type JsonWebKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedStorage, type ScratchDatabase } from './support/database.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { errorCodes, gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { testClock } from './support/usage.ts';

/**
 * Entitlement tokens, verified here with node:crypto and the published JWKS (not with jose,
 * which signs them), as an offline client would.
 */
const clock = testClock('2026-05-01T00:00:00.000Z');
// Publishing a plan with a device cap changes the global catalog: a database of its own.
let storage: ScratchDatabase;
let server: TestServer;
beforeAll(async () => {
  storage = await createIsolatedStorage();
  // Keys rotate daily here, so that a rotation fits in one billing period.
  server = await startTestServer(
    { JOBS_ENABLED: 'false', ENTITLEMENT_KEY_ROTATION_DAYS: '1' },
    storage,
    { now: clock.now },
  );
});
afterAll(async () => {
  await server?.stop();
  await storage?.drop();
});

type Jwk = JsonWebKey & { kid: string };

const ISSUE = `mutation ($device: String) { issueEntitlementToken(deviceId: $device) {
  __typename
  ... on EntitlementTokenSuccess { token { token expiresAt keyId deviceId } }
  ... on FeatureNotEntitledError { message feature { key } upgradeTo { key } }
  ... on ValidationError { message }
} }`;

async function issue(key: string, device?: string) {
  const { data } = await gql(server.graphqlUrl, ISSUE, { key, variables: { device } });
  return data?.issueEntitlementToken;
}

async function jwks(): Promise<{ keys: Jwk[] }> {
  return (await fetch(`${server.url}/.well-known/jwks.json`)).json() as never;
}

/** A verifier of our own: the signature by `kid` from the JWKS, then iss, aud and exp. */
function check(
  token: string,
  keys: Jwk[],
  expect: { audience?: string; at: Date },
): Record<string, any> | string {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) return 'malformed';
  const header = JSON.parse(Buffer.from(head, 'base64url').toString());
  const jwk = keys.find((k) => k.kid === header.kid);
  if (header.alg !== 'EdDSA' || !jwk) return 'unknown key';
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (!verify(null, Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url'))) {
    return 'bad signature';
  }
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  if (claims.iss !== 'graphql-billing-server') return 'wrong issuer';
  if (claims.aud !== (expect.audience ?? 'entitlements')) return 'wrong audience';
  if (claims.exp * 1000 <= expect.at.getTime()) return 'expired';
  return claims;
}

describe('entitlement tokens', () => {
  it('state the plan, features and limits until the paid period ends plus 72 hours', async () => {
    clock.set('2026-05-01T00:00:00.000Z');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'starter',
    });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    clock.set('2026-05-10T12:00:00.000Z');
    const issued = await issue(ingest, 'laptop-1');
    expect(issued.__typename).toBe('EntitlementTokenSuccess');
    const { token, expiresAt, keyId, deviceId } = issued.token;
    // The period ends on June 1st; the offline grace is 72 hours.
    expect({ expiresAt, deviceId }).toEqual({
      expiresAt: '2026-06-04T00:00:00.000Z',
      deviceId: 'laptop-1',
    });
    const { keys } = await jwks();
    expect(keys.map((k) => k.kid)).toEqual([keyId]);
    const claims = check(token, keys, { at: clock.now() });
    expect(claims).toMatchObject({
      sub: org.id,
      plan: { key: 'starter', version: 1 },
      features: { custom_domains: true },
      did: 'laptop-1',
      iat: Date.parse('2026-05-10T12:00:00.000Z') / 1000,
      exp: Date.parse('2026-06-04T00:00:00.000Z') / 1000,
    });
    expect((claims as Record<string, any>).limits.api_requests).toEqual({
      limit: '100000',
      mode: 'OVERAGE',
    });

    // Refused: tampered, signed by another key, for another audience, expired.
    const [head, body, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...(claims as object), plan: { key: 'scale', version: 1 } }),
    ).toString('base64url');
    expect(check(`${head}.${forged}.${signature}`, keys, { at: clock.now() })).toBe(
      'bad signature',
    );
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    expect(check(token, [{ ...other, kid: keyId }], { at: clock.now() })).toBe('bad signature');
    expect(check(token, keys, { at: clock.now(), audience: 'someone-else' })).toBe(
      'wrong audience',
    );
    expect(check(token, keys, { at: new Date('2026-06-04T00:00:00.000Z') })).toBe('expired');
    expect(body).toBeTruthy();
  });

  it('last a day while there is no subscription yet, and are for the organization’s keys only', async () => {
    clock.set('2026-05-10T12:00:00.000Z');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: null });
    const issued = await issue(org.ownerKey);
    expect(issued.token.expiresAt).toBe('2026-05-11T12:00:00.000Z');
    const asAdmin = await gql(server.graphqlUrl, ISSUE, { key: server.adminKey });
    expect(errorCodes(asAdmin)).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(server.graphqlUrl, ISSUE))).toEqual(['UNAUTHENTICATED']);
  });

  it('rotate keys: a new key signs after the rotation (a day here), the old one verifies until its last token expires', async () => {
    clock.set('2026-05-10T12:00:00.000Z');
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'growth',
    });
    const first = (await issue(org.ownerKey)).token;
    clock.set('2026-05-11T00:00:00.000Z'); // the key made at 12:00 yesterday signs until 12:00
    expect((await issue(org.ownerKey)).token.keyId).toBe(first.keyId);
    clock.set('2026-05-12T00:00:00.000Z');
    const second = (await issue(org.ownerKey)).token;
    expect(second.keyId).not.toBe(first.keyId);
    const { keys } = await jwks();
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([first.keyId, second.keyId]));
    // Both tokens run to June 4th (the period's end, June 1st, plus 72 hours): the first key
    // keeps verifying its tokens until then, and is no longer published after.
    expect(check(first.token, keys, { at: clock.now() })).toMatchObject({ sub: org.id });
    clock.set('2026-06-04T00:00:01.000Z');
    expect((await jwks()).keys.map((k) => k.kid)).not.toContain(first.keyId);
  });

  it('record devices, and refuse one past the plan’s cap naming it and the plan that allows more', async () => {
    clock.set('2026-05-10T12:00:00.000Z');
    const admin = (query: string, variables?: Record<string, unknown>) =>
      gql(server.graphqlUrl, query, { key: server.adminKey, ...(variables ? { variables } : {}) });
    await admin(
      'mutation { createFeature(input: { key: "devices", name: "Devices" }) { __typename } }',
    );
    const PUBLISH =
      'mutation ($input: PlanInput!) { publishPlan(input: $input) { __typename ... on Error { message } } }';
    for (const [key, amount, max] of [
      ['duo', '1000', 2],
      ['crew', '3000', 10],
    ] as const) {
      const published = await admin(PUBLISH, {
        input: {
          key,
          name: key === 'duo' ? 'Duo' : 'Crew',
          prices: [{ interval: 'MONTH', amount }],
          quotas: [],
          entitlements: [{ feature: 'devices', value: { max } }],
        },
      });
      expect(published.data?.publishPlan.__typename).toBe('PublishPlanSuccess');
    }
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'duo' });
    expect((await issue(org.ownerKey, 'phone')).__typename).toBe('EntitlementTokenSuccess');
    clock.set('2026-05-11T12:00:00.000Z');
    expect((await issue(org.ownerKey, 'tablet')).__typename).toBe('EntitlementTokenSuccess');
    clock.set('2026-05-12T12:00:00.000Z');
    expect((await issue(org.ownerKey, 'phone')).__typename).toBe('EntitlementTokenSuccess');
    expect(await issue(org.ownerKey, 'laptop')).toEqual({
      __typename: 'FeatureNotEntitledError',
      message: 'the plan allows 2 devices, all activated; deactivate one or upgrade',
      feature: { key: 'devices' },
      upgradeTo: { key: 'crew' },
    });
    const devices = await gql(
      server.graphqlUrl,
      'query ($id: ID!) { organization(id: $id) { devices { deviceId firstSeenAt lastSeenAt } } }',
      { key: server.adminKey, variables: { id: org.id } },
    );
    expect(devices.data?.organization.devices).toEqual([
      {
        deviceId: 'phone',
        firstSeenAt: '2026-05-10T12:00:00.000Z',
        lastSeenAt: '2026-05-12T12:00:00.000Z',
      },
      {
        deviceId: 'tablet',
        firstSeenAt: '2026-05-11T12:00:00.000Z',
        lastSeenAt: '2026-05-11T12:00:00.000Z',
      },
    ]);
  });
});
