import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { and, eq, sql } from 'drizzle-orm';
import type { Services } from '../../context.ts';
import { webhookDeliveries, webhookEndpoints } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import {
  BlockedAddressError,
  checkedLookup,
  type OutboundPolicy,
  outboundPolicy,
  type Resolver,
  urlProblem,
} from './outbound-address.ts';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.ts';

/** Thrown to have the job queue try again later (with exponential backoff). */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * One attempt of a webhook delivery. The attempt first claims the row (counting it), then posts
 * the signed body; a 2xx ends the delivery, anything else is retried until the last attempt,
 * after which it is marked FAILED. Every attempt's time and response status are kept.
 */
export async function attemptWebhookDelivery(
  services: Pick<Services, 'db' | 'config' | 'now'>,
  log: Logger,
  deliveryId: string,
): Promise<'succeeded' | 'failed' | 'skipped'> {
  const { db, config } = services;
  const [delivery] = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: services.now() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'PENDING')))
    .returning();
  if (!delivery) return 'skipped';
  const [endpoint] = await db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, delivery.endpointId));
  const finish = (status: 'SUCCEEDED' | 'FAILED', responseStatus: number | null) =>
    db
      .update(webhookDeliveries)
      .set({ status, responseStatus })
      .where(eq(webhookDeliveries.id, delivery.id));
  if (!endpoint || endpoint.deletedAt) {
    await finish('FAILED', null);
    return 'failed';
  }

  const timestamp = Math.floor(services.now().getTime() / 1000);
  const body = JSON.stringify({
    id: delivery.id,
    type: delivery.event,
    created: timestamp,
    data: delivery.payload,
  });
  const { status: responseStatus, problem } = await postWebhook(
    endpoint.url,
    {
      'content-type': 'application/json',
      'user-agent': 'graphql-billing-server/webhooks',
      'billing-delivery': delivery.id,
      [SIGNATURE_HEADER]: signatureHeader(endpoint.signingSecret, body, timestamp),
    },
    body,
    {
      timeoutMs: config.alerts.webhookTimeoutMs,
      policy: outboundPolicy(config.alerts.webhookAllowedPrivate),
    },
  );
  const attemptLog = {
    deliveryId: delivery.id,
    endpointId: endpoint.id,
    attempt: delivery.attempts,
    responseStatus,
  };
  if (responseStatus !== null && responseStatus >= 200 && responseStatus < 300) {
    await finish('SUCCEEDED', responseStatus);
    log.info(attemptLog, 'webhook delivered');
    return 'succeeded';
  }
  if (delivery.attempts >= config.alerts.maxAttempts) {
    await finish('FAILED', responseStatus);
    log.warn(
      { ...attemptLog, problem: problem || undefined },
      'webhook delivery failed: no attempts left',
    );
    return 'failed';
  }
  await db
    .update(webhookDeliveries)
    .set({ responseStatus })
    .where(eq(webhookDeliveries.id, delivery.id));
  const level = problem.startsWith('refused') ? 'warn' : 'info';
  log[level](
    { ...attemptLog, problem: problem || undefined },
    'webhook attempt failed; will retry',
  );
  throw new RetryLater(`webhook delivery ${delivery.id}: ${problem || `HTTP ${responseStatus}`}`);
}

interface PostOptions {
  timeoutMs: number;
  policy: OutboundPolicy;
  /** How names are resolved (tests put a resolver of their own here). */
  resolve?: Resolver;
}

/**
 * POSTs `body` and answers the response status, or why there is none. The socket connects only
 * to an address the policy allows, checked on the address actually connected (an IP literal
 * before connecting, a name in `checkedLookup`): a name re-pointed at a private address after
 * registration is refused. Redirects are never followed: a 3xx is an answer like any non-2xx.
 */
export function postWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<{ status: number | null; problem: string }> {
  const url = new URL(target);
  const refused = urlProblem(url, options.policy);
  if (refused) return Promise.resolve({ status: null, problem: `refused: ${refused}` });
  const send = { 'https:': httpsRequest, 'http:': httpRequest }[url.protocol];
  if (!send) return Promise.resolve({ status: null, problem: 'refused: not an http(s) URL' });
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        lookup: checkedLookup(options.policy, options.resolve),
        signal,
      },
      (response) => {
        response.on('error', () => undefined);
        response.resume();
        resolve({ status: response.statusCode ?? null, problem: '' });
      },
    );
    request.on('error', (error) => {
      const problem =
        error instanceof BlockedAddressError
          ? `refused: ${error.message}`
          : signal.aborted
            ? 'timed out'
            : 'could not connect';
      resolve({ status: null, problem });
    });
    request.end(body);
  });
}
