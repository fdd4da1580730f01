import type { IncomingMessage, ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import type { Services } from '../context.ts';
import { storeStripeEvent } from '../resolvers/collection/stripe-event-store.ts';
import { STRIPE_API_VERSION } from '../stripe/stripe-client.ts';
import { BodyTooLargeError, readBody } from './body.ts';
import { sendJson } from './respond.ts';
import type { RouteHandler } from './server.ts';

/** Stripe's events are small; a megabyte is far more than any. */
const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * POST /webhooks/stripe: checks Stripe's signature over the raw body (5 minutes' tolerance),
 * stores the event by id (a redelivery is acknowledged and ignored), queues its processing, and
 * answers 200 at once. A bad or stale signature gets 400 and nothing is stored. An event rendered
 * in another API version than the pinned one gets 500 and nothing is stored: never acknowledged,
 * it stays undelivered in Stripe, which retries it for up to three days.
 */
export function stripeWebhookRoute(services: Services): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, request) => {
    const stripe = services.stripe;
    const secret = services.config.stripe?.webhookSecret;
    if (!stripe || !secret) {
      sendJson(res, 404, { error: 'Stripe is not configured (STRIPE_SECRET_KEY)' });
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_EVENT_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: error.message });
      throw error;
    }
    let event: Stripe.Event;
    try {
      event = stripe.verifyEvent(raw, String(req.headers['stripe-signature'] ?? ''), secret);
    } catch {
      request.log.warn('Stripe webhook with a bad or stale signature refused');
      sendJson(res, 400, { error: 'invalid or stale Stripe-Signature' });
      return;
    }
    const malformed = eventShapeProblem(event);
    if (malformed) {
      // Signed, so Stripe's (or a test's), and never going to be taken: a 400 says it is the
      // event's fault. (Stripe retries any non-2xx answer all the same; each retry is refused.)
      request.log.warn({ stripeEventId: event.id }, `Stripe event refused: ${malformed}`);
      sendJson(res, 400, { error: `malformed Stripe event: ${malformed}` });
      return;
    }
    // Stripe leaves api_version null only on events made before 2014-10-31: taken as they are.
    const version = (event as { api_version?: unknown }).api_version;
    if (typeof version === 'string' && version !== STRIPE_API_VERSION) {
      // Its fields are shaped by another version (`invoice.parent` is 2026-10-28's): reading it
      // as ours could apply it wrongly, so none of it is. Stripe retries every non-2xx answer for
      // up to three days (https://docs.stripe.com/webhooks); 500 rather than 400 because the
      // fault is this deployment's setup, not the event, and alerts on 5xx should page someone.
      request.log.error(
        { stripeEventId: event.id, type: event.type, eventApiVersion: version },
        `Stripe event ${event.id} refused: rendered in API version ${version}, but this server reads ` +
          `${STRIPE_API_VERSION}. Set the webhook endpoint's API version to ${STRIPE_API_VERSION} ` +
          'in the Stripe Dashboard (Developers → Webhooks; a version is set when an endpoint is ' +
          'made, so make one with it). ' +
          'Refused events are not acknowledged: Stripe keeps them undelivered and retries them for ' +
          'up to three days (list them with delivery_success=false).',
      );
      sendJson(res, 500, {
        error: `Stripe event in API version ${version} refused: this endpoint reads ${STRIPE_API_VERSION}`,
      });
      return;
    }
    const stored = await storeStripeEvent(services.db, event);
    if (stored) {
      // If queueing fails, the event is stored and the sweeper queues it.
      await services.jobs.send('stripe-event', { eventId: event.id }).catch((error: unknown) => {
        request.log.error(
          { err: error, stripeEventId: event.id },
          'could not queue a Stripe event',
        );
      });
    }
    sendJson(res, 200, { received: true, duplicate: !stored });
  };
}

/** What a signed event lacks of what its processing reads, or null. */
function eventShapeProblem(event: Stripe.Event): string | null {
  const shape = event as unknown as Record<string, unknown>;
  if (typeof shape.id !== 'string' || !/^evt_\w+$/.test(shape.id)) return 'id is not an event id';
  if (typeof shape.type !== 'string' || shape.type === '') return 'type is missing';
  if (!Number.isSafeInteger(shape.created)) return 'created is not a Unix time';
  const data = shape.data as { object?: unknown } | null | undefined;
  if (
    typeof data !== 'object' ||
    data === null ||
    typeof data.object !== 'object' ||
    !data.object
  ) {
    return 'data.object is missing';
  }
  return null;
}
