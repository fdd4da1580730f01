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
import { appliesTo, type Fault, type Faults, type RequestFilter } from './faults.ts';
import { type FormObject, parseForm } from './form.ts';
import { type IdempotencyStore, isSavedError, type SavedAnswer } from './idempotency.ts';
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
  fault?: 'rate_limit' | Fault['kind'] | ExecutionFault['kind'];
}

export interface ServerParts {
  state: State;
  routes: Route[];
  faults: Faults;
  randomFaults: RandomFaults;
  limiter: RateLimiter;
  idempotency: IdempotencyStore;
  /** Delays and crashes met once an endpoint began executing. */
  execution: ExecutionFaults;
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
  // Stripe takes keys on POST only: on GET and DELETE (idempotent anyway) they have no effect.
  const key =
    method === 'POST' && typeof headerKey === 'string' && headerKey ? headerKey : undefined;
  const logged: LoggedRequest = {
    method,
    path,
    params: raw,
    ...(key ? { idempotencyKey: key } : {}),
    status: 0,
  };
  parts.requests.push(logged);

  const limited = parts.limiter.refusal(
    { method, path, raw, apiKey: apiKeyOf(req.headers.authorization ?? '') },
    parts.state.events.all,
  );
  if (limited) {
    // Refused before anything else: no fault rule is used up, no key stored, nothing changed.
    logged.fault = 'rate_limit';
    logged.status = 429;
    const answer = rateLimitAnswer(limited.message);
    answer.headers['Stripe-Rate-Limited-Reason'] = limited.reason;
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
  const answered =
    fault?.kind === 'fail'
      ? Promise.resolve(injected(fault))
      : answerRequest(parts, req, logged, raw, key);
  void answered
    .then((real) => {
      // 'lose': the work is done and its answer saved under the key; only the client never sees it.
      const answer =
        fault?.kind === 'lose'
          ? serverErrorAnswer(
              'An unknown error occurred (injected by the Stripe fake after the request was carried out).',
            )
          : real;
      logged.status = answer.status;
      send(res, answer);
      parts.webhooks.publish(parts.state.events.drain());
    })
    .catch((error: unknown) => {
      if (!res.headersSent) send(res, internalError(error));
    });
}

/**
 * Auth, the idempotency key, then the endpoint. A request whose endpoint begins executing holds
 * its key until it ends (a delay may keep it executing), and its answer is saved under the key
 * unless its parameters failed validation.
 */
async function answerRequest(
  parts: ServerParts,
  req: IncomingMessage,
  logged: LoggedRequest,
  raw: FormObject,
  key: string | undefined,
): Promise<Answer> {
  const { method, path } = logged;
  if (!isSecretKey(apiKeyOf(req.headers.authorization ?? ''))) {
    return errorAnswer(401, {
      type: 'authentication_error',
      message: 'Invalid API Key provided. Send `Authorization: Bearer sk_test_...`.',
    });
  }
  if (key) {
    const use = parts.idempotency.use(key, { method, path, params: raw });
    if (use.kind === 'in_progress') {
      // Not saved: the request never began executing; a retry once the first one ended replays.
      const answer = errorAnswer(409, {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
      });
      answer.headers['Idempotency-Key'] = key;
      return answer;
    }
    if (use.kind === 'mismatch') {
      return errorAnswer(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (use.kind === 'replay') {
      return {
        status: use.saved.status,
        body: use.saved.body,
        headers: {
          ...use.saved.headers,
          'Idempotent-Replayed': 'true',
          'Idempotency-Key': key,
          'Request-Id': use.saved.requestId,
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
  let outcome: Executed | null = null;
  if (key) parts.idempotency.begin(key);
  try {
    const delay = parts.execution.take('delay', method, path);
    if (delay) {
      logged.fault = 'delay';
      await new Promise((resolve) => setTimeout(resolve, delay.ms));
    }
    const crash = parts.execution.take('crash', method, path);
    if (crash) logged.fault = 'crash';
    outcome = execute(parts, found, raw, key, requestId, crash !== null);
  } finally {
    if (key)
      parts.idempotency.end(key, outcome?.saved ? saved(logged, raw, outcome, requestId) : null);
  }
  const { answer } = outcome;
  answer.headers['Request-Id'] = requestId;
  if (key) answer.headers['Idempotency-Key'] = key;
  return answer;
}

interface Executed {
  answer: Answer;
  /** Whether Stripe would save it under the request's key. */
  saved: boolean;
}

/** Runs the endpoint at one pinned "now", its events attributed to the request. */
function execute(
  parts: ServerParts,
  found: NonNullable<ReturnType<typeof findRoute>>,
  raw: FormObject,
  key: string | undefined,
  requestId: string,
  crash: boolean,
): Executed {
  const { state } = parts;
  return state.clock.pin(() =>
    state.events.attribute({ id: requestId, idempotency_key: key ?? null }, () => {
      if (crash) {
        return {
          answer: endpointFailure(
            'An unknown error occurred (injected by the Stripe fake while the request was executing).',
          ),
          saved: true,
        };
      }
      try {
        const result = found.route.handle({ state, raw, ids: found.ids });
        const expand = Array.isArray(raw.expand)
          ? raw.expand.filter((entry) => typeof entry === 'string')
          : [];
        return {
          answer: {
            status: 200,
            body: JSON.stringify(expandResponse(state, result, expand), null, 2),
            headers: {},
          },
          saved: true,
        };
      } catch (error) {
        if (error instanceof FakeError) {
          return { answer: errorAnswer(error.status, error.body), saved: isSavedError(error.body) };
        }
        const failure = internalError(error);
        failure.headers['Stripe-Should-Retry'] = 'false';
        return { answer: failure, saved: true };
      }
    }),
  );
}

/**
 * A 500 of an endpoint that began executing. Stripe saves it under the key, so it tells clients
 * not to retry (`Stripe-Should-Retry: false`): a retry with the key would get the same 500.
 */
function endpointFailure(message: string): Answer {
  const answer = errorAnswer(500, { type: 'api_error', message });
  answer.headers['Stripe-Should-Retry'] = 'false';
  return answer;
}

function saved(
  request: LoggedRequest,
  raw: FormObject,
  { answer }: Executed,
  requestId: string,
): SavedAnswer {
  return {
    method: request.method,
    path: request.path,
    params: raw,
    status: answer.status,
    body: answer.body,
    headers: { ...answer.headers },
    requestId,
  };
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

export interface DelayRule extends RequestFilter {
  /** How much longer (real time) each matching request executes. */
  ms: number;
  times?: number;
}

export interface CrashRule extends RequestFilter {
  times?: number;
}

/** What a request meets once its endpoint began executing (after auth and its key's check). */
interface ExecutionFault extends RequestFilter {
  kind: 'delay' | 'crash';
  ms: number;
  remaining: number;
}

/**
 * Faults met during execution: `delay` keeps a request executing `ms` longer, its idempotency key
 * in use meanwhile; `crash` ends it with a 500 before it changed anything, a result Stripe saves
 * under the key like any other.
 */
export class ExecutionFaults {
  private armed: ExecutionFault[] = [];

  delay(rule: DelayRule): void {
    if (!(Number.isFinite(rule.ms) && rule.ms >= 0)) {
      throw new Error(`delayNext: ms must be a finite number >= 0, got ${rule.ms}`);
    }
    this.arm('delay', rule, rule.ms);
  }

  crash(rule: CrashRule): void {
    this.arm('crash', rule, 0);
  }

  /** The first armed fault of this kind matching the request, used up by one. */
  take(kind: ExecutionFault['kind'], method: string, path: string): ExecutionFault | null {
    const fault = this.armed.find(
      (candidate) => candidate.kind === kind && appliesTo(candidate, method, path),
    );
    if (!fault) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed = this.armed.filter((candidate) => candidate !== fault);
    return fault;
  }

  private arm(
    kind: ExecutionFault['kind'],
    rule: RequestFilter & { times?: number },
    ms: number,
  ): void {
    this.armed.push({
      kind,
      ms,
      ...(rule.method !== undefined ? { method: rule.method } : {}),
      ...(rule.path !== undefined ? { path: rule.path } : {}),
      remaining: rule.times ?? 1,
    });
  }
}
