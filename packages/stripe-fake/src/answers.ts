import type { ServerResponse } from 'node:http';
import type { StripeErrorBody } from './errors.ts';
import { API_VERSION } from './events.ts';

/** An HTTP answer, built before it is sent so the server can log (or replace) it. */
export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export function errorAnswer(status: number, error: StripeErrorBody): Answer {
  return { status, body: JSON.stringify({ error }, null, 2), headers: {} };
}

/**
 * A 429 as live Stripe sends it: `invalid_request_error` with code `rate_limit` (stripe-node
 * turns any 429 into StripeRateLimitError), marked retryable so stripe-node's retries apply.
 */
export function rateLimitAnswer(message: string, retryAfterSeconds?: number): Answer {
  const answer = errorAnswer(429, {
    type: 'invalid_request_error',
    code: 'rate_limit',
    doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
    message,
  });
  answer.headers['Stripe-Should-Retry'] = 'true';
  if (retryAfterSeconds !== undefined) answer.headers['Retry-After'] = String(retryAfterSeconds);
  return answer;
}

/** A retryable 500 `api_error`, as Stripe answers when something broke on its side. */
export function serverErrorAnswer(message: string): Answer {
  const answer = errorAnswer(500, { type: 'api_error', message });
  answer.headers['Stripe-Should-Retry'] = 'true';
  return answer;
}

/**
 * A bug in the fake: answered as Stripe's api_error, with the cause (stored like any 500 of an
 * endpoint that began executing).
 */
export function internalError(error: unknown): Answer {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return errorAnswer(500, { type: 'api_error', message: `Stripe fake failed: ${detail}` });
}

export function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    'Content-Type': 'application/json',
    'Stripe-Version': API_VERSION,
    ...answer.headers,
  });
  res.end(answer.body);
}
