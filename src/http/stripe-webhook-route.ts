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
