import type { IncomingMessage, ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import type { Services } from '../context.ts';
import { storeStripeEvent } from '../resolvers/collection/stripe-event-store.ts';
import { BodyTooLargeError, readBody } from './body.ts';
import { sendJson } from './respond.ts';
import type { RouteHandler } from './server.ts';

/** Stripe's events are small; a megabyte is far more than any. */
const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * POST /webhooks/stripe: checks Stripe's signature over the raw body (5 minutes' tolerance),
 * stores the event by id (a redelivery is acknowledged and ignored), queues its processing, and
 * answers 200 at once. A bad or stale signature gets 400 and nothing is stored.
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
      // Signed, so Stripe's (or a test's): a 400 tells it the event will never be taken, where a
      // 500 would have it retried for days.
      request.log.warn({ stripeEventId: event.id }, `Stripe event refused: ${malformed}`);
      sendJson(res, 400, { error: `malformed Stripe event: ${malformed}` });
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
