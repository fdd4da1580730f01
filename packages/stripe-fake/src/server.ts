import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type Answer,
  errorAnswer,
  internalError,
  rateLimitAnswer,
  send,
  serverErrorAnswer,
} from './answers.ts';
import { FakeError } from './errors.ts';
import { expandResponse } from './expand.ts';
import type { Fault, Faults } from './faults.ts';
import { type FormObject, parseForm } from './form.ts';
import { type IdempotencyStore, isSaved } from './idempotency.ts';
import { newId } from './ids.ts';
import type { RandomFaults } from './random-faults.ts';
import type { RateLimiter } from './rate-limit.ts';
import { findRoute, type Route } from './router.ts';
import type { State } from './state.ts';
import type { Webhooks } from './webhooks.ts';

export interface LoggedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  idempotencyKey?: string;
  /** The answer's status; 0 when the connection was dropped on purpose. */
  status: number;
  /** Set when the answer was not the plain one: refused by the rate limiter, or a fault. */
  fault?: 'rate_limit' | Fault['kind'];
}

export interface ServerParts {
  state: State;
  routes: Route[];
  faults: Faults;
  randomFaults: RandomFaults;
  limiter: RateLimiter;
  idempotency: IdempotencyStore;
  webhooks: Webhooks;
  requests: LoggedRequest[];
  /** Non-API pages (hosted checkout, portal, invoice); returns false when none matched. */
  pages(req: IncomingMessage, res: ServerResponse, path: string, body: string): boolean;
}

/**
 * The HTTP front of the fake: rate limiting, failure injection, auth, idempotency, routing, then
 * the answer; the events a request produced are handed to webhook delivery only after it was
 * answered.
 */
export function createFakeServer(parts: ServerParts): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(parts, req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(res, internalError(error));
      }
    });
  });
}

function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse, body: string): void {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://stripe-fake.invalid');
  const path = url.pathname;
  if (!path.startsWith('/v1/') && parts.pages(req, res, path, body)) return;

  const raw = parseForm(method === 'POST' ? body : url.search.slice(1));
  const headerKey = req.headers['idempotency-key'];
  const key =
    method !== 'GET' && typeof headerKey === 'string' && headerKey ? headerKey : undefined;
  const logged: LoggedRequest = {
    method,
    path,
    params: raw,
    ...(key ? { idempotencyKey: key } : {}),
    status: 0,
  };
  parts.requests.push(logged);

  if (!parts.limiter.admit()) {
    // Refused before anything else: no fault rule is used up, no key stored, nothing changed.
    logged.fault = 'rate_limit';
    logged.status = 429;
    const answer = rateLimitAnswer(
      'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
    );
    answer.headers['Stripe-Rate-Limited-Reason'] = 'global-rate';
    send(res, answer);
    return;
  }
  const fault = parts.faults.take(method, path) ?? parts.randomFaults.take(method, path);
  if (fault) logged.fault = fault.kind;
  if (fault?.kind === 'drop') {
    // Nothing ran and nothing is stored: the client sees a reset connection and may retry.
    req.socket.destroy();
    return;
  }
  let answer =
    fault?.kind === 'fail' ? injected(fault) : answerRequest(parts, req, method, path, raw, key);
  if (fault?.kind === 'lose') {
    // The work is done and its answer stored under the key; only the client never sees it.
    answer = serverErrorAnswer(
      'An unknown error occurred (injected by the Stripe fake after the request was carried out).',
    );
  }
  logged.status = answer.status;
  send(res, answer);
  parts.webhooks.publish(parts.state.events.drain());
}

function answerRequest(
  parts: ServerParts,
  req: IncomingMessage,
  method: string,
  path: string,
  raw: FormObject,
  key: string | undefined,
): Answer {
  if (!isSecretKey(apiKeyOf(req.headers.authorization ?? ''))) {
    return errorAnswer(401, {
      type: 'authentication_error',
      message: 'Invalid API Key provided. Send `Authorization: Bearer sk_test_...`.',
    });
  }
  if (key) {
    const stored = parts.idempotency.lookup(key, method, path, raw);
    if (stored === 'mismatch') {
      return errorAnswer(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (stored) {
      return {
        status: stored.status,
        body: stored.body,
        headers: {
          'Idempotent-Replayed': 'true',
          'Idempotency-Key': key,
          'Request-Id': stored.requestId,
        },
      };
    }
  }
  const found = findRoute(parts.routes, method, path);
  if (!found) {
    return errorAnswer(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). The Stripe fake implements only the endpoints the billing server uses.`,
    });
  }
  const requestId = newId('req_', 14);
  const { state } = parts;
  const answer = state.clock.pin(() =>
    state.events.attribute({ id: requestId, idempotency_key: key ?? null }, () => {
      try {
        const result = found.route.handle({ state, raw, ids: found.ids });
        const expand = Array.isArray(raw.expand)
          ? raw.expand.filter((entry) => typeof entry === 'string')
          : [];
        return {
          status: 200,
          body: JSON.stringify(expandResponse(state, result, expand), null, 2),
          headers: {},
        };
      } catch (error) {
        if (error instanceof FakeError) return errorAnswer(error.status, error.body);
        return internalError(error);
      }
    }),
  );
  answer.headers['Request-Id'] = requestId;
  if (key) {
    answer.headers['Idempotency-Key'] = key;
    if (isSaved(answer.status)) {
      parts.idempotency.save(key, {
        method,
        path,
        params: raw,
        status: answer.status,
        body: answer.body,
        requestId,
      });
    }
  }
  return answer;
}

/** The API key from `Bearer <key>` (stripe-node) or `Basic base64(<key>:)` (curl -u key:). */
function apiKeyOf(authorization: string): string {
  const [scheme, credentials = ''] = authorization.split(' ');
  if (scheme === 'Bearer') return credentials;
  if (scheme === 'Basic')
    return Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] ?? '';
  return '';
}

function isSecretKey(key: string): boolean {
  return /^(sk|rk)_\S+$/.test(key);
}

function injected(fault: Extract<Fault, { kind: 'fail' }>): Answer {
  if (fault.status === 429) {
    return rateLimitAnswer(
      'Too many requests hit the API too quickly (injected by the Stripe fake).',
      fault.retryAfterSeconds,
    );
  }
  return serverErrorAnswer('An unknown error occurred (injected by the Stripe fake).');
}
