import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { newId } from '../src/db/ids.ts';
import { webhookEndpoints } from '../src/db/schema.ts';
import {
  OutboundPolicy,
  type Resolver,
  targetProblem,
} from '../src/resolvers/alerts/outbound-address.ts';
import { postWebhook } from '../src/resolvers/alerts/webhook-delivery.ts';
import { createTestStorage } from './support/database.ts';
import { createKey, createOrganization, type TestOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/**
 * Webhook endpoints are a request the server makes on a customer's behalf: it must never reach
 * loopback, private or metadata addresses (SSRF), whatever the notation, whatever the name
 * resolves to at delivery, and whatever a receiver redirects to; unless the operator's
 * WEBHOOK_ALLOWED_PRIVATE_ADDRESSES allows it. The receiver here is a real server on 127.0.0.1
 * that counts what reaches it.
 */

let receiver: Server;
let port = 0;
/** Requests that reached the receiver, by path. */
const hits: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/redirected` }).end();
    } else res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => {
  receiver?.close();
});

const CREATE = `mutation ($url: String!) { createWebhookEndpoint(url: $url) {
  __typename
  ... on WebhookEndpointSuccess { endpoint { id url } }
  ... on ValidationError { fieldErrors { path message } }
} }`;

const DELIVERIES = '{ webhookEndpoints { url deliveries { status attempts responseStatus } } }';

/** Settings that make one refused attempt final, and quick. */
const ONE_ATTEMPT = { DELIVERY_MAX_ATTEMPTS: '1', JOBS_POLL_SECONDS: '0.5' };

function register(server: TestServer, org: TestOrganization, url: string) {
  return gql(server.graphqlUrl, CREATE, { key: org.ownerKey, variables: { url } }).then(
    (response) => response.data?.createWebhookEndpoint,
  );
}

/** Crosses the organization's 50 % threshold of api_requests (free plan): one delivery. */
async function fireAlert(server: TestServer, org: TestOrganization) {
  const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
  await record(server.graphqlUrl, ingest, {
    meter: 'api_requests',
    quantity: '5000',
    idempotencyKey: uniqueKey(),
  });
}

/** The organization's endpoints once every delivery is finished. */
function finishedDeliveries(server: TestServer, org: TestOrganization) {
  return waitFor('the deliveries to finish', async () => {
    const response = await gql(server.graphqlUrl, DELIVERIES, { key: org.ownerKey });
    const endpoints: any[] = response.data?.webhookEndpoints ?? [];
    const deliveries = endpoints.flatMap((e) => e.deliveries);
    const done = deliveries.length > 0 && deliveries.every((d: any) => d.status !== 'PENDING');
    return done ? endpoints : undefined;
  });
}

describe('registration refuses non-public targets', () => {
  let server: TestServer;
  let org: TestOrganization;
  beforeAll(async () => {
    server = await startTestServer();
    org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
  });
  afterAll(() => server?.stop());

  const refused: [url: string, reason: string][] = [
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254, a link-local address'],
    ['https://127.0.0.1:6379/', '127.0.0.1, a loopback address'],
    ['https://10.0.0.1/', '10.0.0.1, a private address'],
    ['https://172.31.255.1/', '172.31.255.1, a private address'],
    ['https://192.168.1.1/', '192.168.1.1, a private address'],
    ['https://100.64.0.1/', '100.64.0.1, a shared (carrier-grade NAT) address'],
    ['https://0.0.0.0/', '0.0.0.0, an unspecified address'],
    ['https://224.0.0.1/', '224.0.0.1, a multicast address'],
    ['https://255.255.255.255/', '255.255.255.255, a broadcast address'],
    // Decimal, hex, octal and short forms: the URL parser makes them 127.0.0.1.
    ['https://2130706433/', '127.0.0.1, a loopback address'],
    ['https://0x7f000001/', '127.0.0.1, a loopback address'],
    ['https://0x7f.1/', '127.0.0.1, a loopback address'],
    ['https://0177.0.0.1/', '127.0.0.1, a loopback address'],
    ['https://127.1/', '127.0.0.1, a loopback address'],
    ['https://0/', '0.0.0.0, an unspecified address'],
    ['https://[::1]/', '::1, a loopback address'],
    ['https://[0:0:0:0:0:0:0:1]/', '::1, a loopback address'],
    ['https://[::]/', '::, an unspecified address'],
    ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (IPv4 127.0.0.1), a loopback address'],
    [
      'https://[::ffff:a9fe:a9fe]/',
      '::ffff:a9fe:a9fe (IPv4 169.254.169.254), a link-local address',
    ],
    ['https://[64:ff9b::a00:1]/', '64:ff9b::a00:1 (IPv4 10.0.0.1), a private address'],
    ['https://[fd00:ec2::254]/', 'fd00:ec2::254, a unique-local address'],
    ['https://[fe80::1]/', 'fe80::1, a link-local address'],
    ['https://[ff02::1]/', 'ff02::1, a multicast address'],
  ];

  it.each(refused)('refuses %s, saying why', async (url, reason) => {
    expect(await register(server, org, url)).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [
        {
          path: ['url'],
          message: `points at ${reason}; outbound requests only go to public addresses`,
        },
      ],
    });
  });

  it('resolves a name and refuses it when it resolves to loopback (localhost)', async () => {
    for (const url of [`http://localhost:${port}/hook`, 'https://localhost/hook']) {
      const result = await register(server, org, url);
      expect(result.__typename).toBe('ValidationError');
      expect(result.fieldErrors[0].message).toMatch(
        /^resolves to (127\.0\.0\.1|::1), a loopback address; outbound requests only go to public addresses$/,
      );
    }
  });

  it('refuses a user name or password in the URL', async () => {
    for (const url of ['https://user:pass@hooks.example.com/a', 'https://user@203.0.113.9/']) {
      expect(await register(server, org, url)).toEqual({
        __typename: 'ValidationError',
        fieldErrors: [{ path: ['url'], message: 'must not contain a user name or password' }],
      });
    }
  });

  it('stored none of the refused URLs; public ones are still accepted', async () => {
    for (const [url] of refused) await register(server, org, url);
    const accepted = await register(server, org, 'https://203.0.113.9/hooks');
    expect(accepted.__typename).toBe('WebhookEndpointSuccess');
    const listed = await gql(server.graphqlUrl, '{ webhookEndpoints { url } }', {
      key: org.ownerKey,
    });
    expect(listed.data?.webhookEndpoints).toEqual([{ url: 'https://203.0.113.9/hooks' }]);
  });
});

describe('delivery checks the address it connects to', () => {
  it('refuses at delivery a stored URL that points at loopback (stored before this check)', {
    timeout: 60_000,
  }, async () => {
    const own = await startTestServer(ONE_ATTEMPT);
    try {
      const victim = await createOrganization(own.graphqlUrl, own.adminKey, { planKey: 'free' });
      const url = `http://127.0.0.1:${port}/stored`;
      await own
        .db()
        .insert(webhookEndpoints)
        .values({ id: newId('we'), organizationId: victim.id, url, signingSecret: 'whsec_x' });
      await fireAlert(own, victim);
      expect(await finishedDeliveries(own, victim)).toEqual([
        { url, deliveries: [{ status: 'FAILED', attempts: 1, responseStatus: null }] },
      ]);
      expect(hits).not.toContain('/stored');
    } finally {
      await own.stop();
    }
  });

  it('refuses a name that resolves to loopback at delivery although it passed registration (DNS rebinding)', {
    timeout: 90_000,
  }, async () => {
    // The same database, first under a server that allows loopback (registration passes: the
    // name resolves to an allowed address), then under one that does not: at delivery the name
    // resolves to 127.0.0.1 again, which is now refused. What changed is the verdict on the
    // address, not the address, but the delivery-time check cannot tell the two apart: it
    // judges the address actually connected to, whatever registration saw.
    const storage = await createTestStorage();
    const url = `http://localhost:${port}/rebound`;
    let org: TestOrganization;
    const lenient = await startTestServer(
      { WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: '127.0.0.0/8,::1' },
      storage,
    );
    try {
      org = await createOrganization(lenient.graphqlUrl, lenient.adminKey, { planKey: 'free' });
      expect((await register(lenient, org, url)).__typename).toBe('WebhookEndpointSuccess');
    } finally {
      await lenient.stop();
    }
    const strict = await startTestServer(ONE_ATTEMPT, storage);
    try {
      await fireAlert(strict, org);
      expect(await finishedDeliveries(strict, org)).toEqual([
        { url, deliveries: [{ status: 'FAILED', attempts: 1, responseStatus: null }] },
      ]);
      expect(hits).not.toContain('/rebound');
    } finally {
      await strict.stop();
      await storage.drop();
    }
  });

  it('never follows a redirect: a 302 is a failed attempt', { timeout: 60_000 }, async () => {
    const server = await startTestServer({
      ...ONE_ATTEMPT,
      WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: '127.0.0.1',
    });
    try {
      const org = await createOrganization(server.graphqlUrl, server.adminKey, {
        planKey: 'free',
      });
      const url = `http://127.0.0.1:${port}/redirect`;
      expect((await register(server, org, url)).__typename).toBe('WebhookEndpointSuccess');
      await fireAlert(server, org);
      expect(await finishedDeliveries(server, org)).toEqual([
        { url, deliveries: [{ status: 'FAILED', attempts: 1, responseStatus: 302 }] },
      ]);
      expect(hits).toContain('/redirect');
      expect(hits).not.toContain('/redirected');
    } finally {
      await server.stop();
    }
  });
});

describe('the connect-time check, with a resolver that changes its answer', () => {
  /** A name whose first lookup answers a public address and every later one `later`. */
  function rebinding(later: string[]): Resolver {
    let calls = 0;
    return async () =>
      (calls++ === 0 ? ['203.0.113.7'] : later).map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
  }
  const post = (path: string, policy: OutboundPolicy, resolve: Resolver) =>
    postWebhook(`http://rebind.test:${port}${path}`, {}, '{}', {
      timeoutMs: 5000,
      policy,
      resolve,
    });

  it('passes registration, then refuses to connect when the name points at loopback', async () => {
    const none = new OutboundPolicy([]);
    for (const later of [['127.0.0.1'], ['::ffff:127.0.0.1'], ['203.0.113.7', '127.0.0.1']]) {
      const resolve = rebinding(later);
      expect(await targetProblem(`http://rebind.test:${port}/unit`, none, resolve)).toBeNull();
      const outcome = await post('/unit', none, resolve);
      expect(outcome.status).toBeNull();
      expect(outcome.problem).toMatch(/^refused: rebind\.test resolves to .*a loopback address/);
    }
    expect(hits).not.toContain('/unit');
  });

  it('connects to the address the checked lookup answered, when allowed', async () => {
    // rebind.test exists in no DNS: reaching the receiver proves the socket used this lookup.
    const allowing = new OutboundPolicy(['127.0.0.0/8']);
    const loopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const outcome = await post('/allowed', allowing, loopback);
    expect(outcome).toEqual({ status: 200, problem: '' });
    expect(hits).toContain('/allowed');
  });

  it('judges every notation an answer may come in', () => {
    const none = new OutboundPolicy([]);
    const blocked = [
      '::ffff:169.254.169.254',
      '::ffff:0:a00:1',
      '64:ff9b::10.0.0.1',
      '64:ff9b:1::1',
      '2002:a00:1::1',
      '::127.0.0.1',
      'fe80::1%eth0',
      'fec0::1',
      '198.18.0.1',
      '192.0.0.8',
      '240.0.0.1',
      'not-an-address',
    ];
    for (const address of blocked) expect(none.problem(address), address).not.toBeNull();
    const open = ['8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1'];
    for (const address of open) expect(none.problem(address), address).toBeNull();
    const allowing = new OutboundPolicy(['10.1.0.0/16', 'fd00::1']);
    expect(allowing.problem('10.1.2.3')).toBeNull();
    expect(allowing.problem('::ffff:10.1.2.3')).toBeNull();
    expect(allowing.problem('fd00::1')).toBeNull();
    expect(allowing.problem('10.2.0.1')).toBe('10.2.0.1, a private address');
    expect(allowing.problem('fd00::2')).toBe('fd00::2, a unique-local address');
  });
});

describe('WEBHOOK_ALLOWED_PRIVATE_ADDRESSES', () => {
  it('takes IP addresses and CIDR ranges, and refuses anything else at start', () => {
    const parsed = loadConfig({ WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: '127.0.0.0/8, ::1,10.0.0.5' });
    expect(parsed.alerts.webhookAllowedPrivate).toEqual(['127.0.0.0/8', '::1', '10.0.0.5']);
    expect(loadConfig({}).alerts.webhookAllowedPrivate).toEqual([]);
    for (const bad of ['localhost', '10.0.0.0/33', '127.0.0.1:80']) {
      expect(() => loadConfig({ WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: bad }), bad).toThrow(
        ConfigError,
      );
    }
  });
});
