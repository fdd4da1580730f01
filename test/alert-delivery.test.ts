import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../src/resolvers/alerts/webhook-signature.ts';
import { createKey, createOrganization } from './support/fixtures.ts';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';
import { record, uniqueKey } from './support/usage.ts';
import { waitFor } from './support/wait.ts';

/** Alerts delivered by signed webhook (with retries) and by e-mail, to real local receivers. */
interface Received {
  status: number;
  signedCorrectly: boolean;
  body: any;
}

let server: TestServer;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** How many more requests the receiver fails with 500 before it answers 200. */
let failuresLeft = 0;
let secret = '';
let smtp: SMTPServer;
const mails: { to: string[]; raw: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = failuresLeft > 0 ? 500 : 200;
      if (failuresLeft > 0) failuresLeft--;
      received.push({
        status,
        signedCorrectly: verifySignature(req.headers['billing-signature'] as string, body, secret),
        body: JSON.parse(body),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/billing`;

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk) => (raw += chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  server = await startTestServer({
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    DELIVERY_RETRY_DELAY_SECONDS: '1',
    JOBS_POLL_SECONDS: '0.5',
    // The receiver is on loopback, which webhooks may reach only when allowed.
    WEBHOOK_ALLOWED_PRIVATE_ADDRESSES: '127.0.0.0/8',
  });
});
afterAll(async () => {
  await server?.stop();
  receiver?.close();
  smtp?.close();
});

describe('alert delivery', () => {
  it('posts a signed webhook, retries after two 500s, and shows the attempts', {
    timeout: 60_000,
  }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      planKey: 'free',
      billingEmail: 'ops@acme.test',
    });
    const created = await gql(
      server.graphqlUrl,
      'mutation ($url: String!) { createWebhookEndpoint(url: $url) { __typename ... on WebhookEndpointSuccess { endpoint { id url secret } } } }',
      { key: org.ownerKey, variables: { url: receiverUrl } },
    );
    const endpoint = created.data?.createWebhookEndpoint.endpoint;
    expect(endpoint.secret).toMatch(/^whsec_/);
    secret = endpoint.secret;
    failuresLeft = 2;

    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '5000',
      idempotencyKey: uniqueKey(),
    });

    await waitFor('three attempts', () => (received.length >= 3 ? true : undefined));
    expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(received.every((r) => r.signedCorrectly)).toBe(true);
    expect(received[2]?.body).toMatchObject({
      type: 'threshold.crossed',
      data: {
        alert: {
          organizationId: org.id,
          meter: 'api_requests',
          threshold: 50,
          used: '5000',
          limit: '10000',
          pct: 50,
        },
      },
    });
    // The same delivery each time.
    expect(new Set(received.map((r) => r.body.id)).size).toBe(1);
    expect(verifySignature(undefined, '{}', secret)).toBe(false);

    const listed = await waitFor('the delivery to show as succeeded', async () => {
      const response = await gql(
        server.graphqlUrl,
        '{ webhookEndpoints { url secret deliveries { event status attempts responseStatus lastAttemptAt } } }',
        { key: org.ownerKey },
      );
      const [first] = response.data?.webhookEndpoints ?? [];
      return first?.deliveries[0]?.status === 'SUCCEEDED' ? first : undefined;
    });
    expect(listed).toMatchObject({
      url: receiverUrl,
      secret: null,
      deliveries: [
        { event: 'threshold.crossed', status: 'SUCCEEDED', attempts: 3, responseStatus: 200 },
      ],
    });
  });

  it('sends the e-mail with the numbers to the billing address', { timeout: 60_000 }, async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, {
      name: `Mail Org ${Date.now()}`,
      planKey: 'starter',
      billingEmail: 'billing@mailorg.test',
    });
    const ingest = await createKey(server.graphqlUrl, org.ownerKey, org.id, 'INGEST');
    await record(server.graphqlUrl, ingest, {
      meter: 'api_requests',
      quantity: '90000',
      idempotencyKey: uniqueKey(),
    });
    const mine = await waitFor('three e-mails', () => {
      const found = mails.filter((m) => m.to.includes('billing@mailorg.test'));
      return found.length >= 3 ? found : undefined;
    });
    const ninety = mine.find((m) => m.raw.includes('reached 90 %'));
    expect(ninety?.raw).toContain('has used 90,000 of 100,000 requests of api_requests');
    expect(ninety?.raw).toContain('(90 %)');
    const outbox = await gql(
      server.graphqlUrl,
      '{ outboxEmails(first: 100) { edges { node { recipient status subject } } } }',
      {
        key: server.adminKey,
      },
    );
    const sent = outbox.data?.outboxEmails.edges.filter(
      (e: any) => e.node.recipient === 'billing@mailorg.test',
    );
    expect(sent.map((e: any) => e.node.status)).toEqual(['SENT', 'SENT', 'SENT']);
  });

  it('refuses plain http to other hosts and removes endpoints', async () => {
    const org = await createOrganization(server.graphqlUrl, server.adminKey, { planKey: 'free' });
    const bad = await gql(
      server.graphqlUrl,
      'mutation { createWebhookEndpoint(url: "http://example.com/x") { __typename ... on ValidationError { fieldErrors { path message } } } }',
      {
        key: org.ownerKey,
      },
    );
    expect(bad.data?.createWebhookEndpoint).toEqual({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['url'], message: 'must be https, or http on localhost' }],
    });
    const made = await gql(
      server.graphqlUrl,
      'mutation { createWebhookEndpoint(url: "https://hooks.example.com/a") { ... on WebhookEndpointSuccess { endpoint { id } } } }',
      {
        key: org.ownerKey,
      },
    );
    const id = made.data?.createWebhookEndpoint.endpoint.id;
    const removed = await gql(
      server.graphqlUrl,
      'mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }',
      { key: org.ownerKey, variables: { id } },
    );
    expect(removed.data?.deleteWebhookEndpoint.__typename).toBe('WebhookEndpointSuccess');
    const again = await gql(
      server.graphqlUrl,
      'mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }',
      { key: org.ownerKey, variables: { id } },
    );
    expect(again.data?.deleteWebhookEndpoint.__typename).toBe('NotFoundError');
  });
});
