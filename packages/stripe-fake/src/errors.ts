/** Errors the fake answers with, in Stripe's `{ error: { type, code, message, param } }` shape. */
export interface StripeErrorBody {
  type: string;
  code?: string;
  message: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
}

export class FakeError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, body: StripeErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export function invalidRequest(message: string, extra: { code?: string; param?: string } = {}) {
  return new FakeError(400, { type: 'invalid_request_error', message, ...extra });
}

export function unknownParameter(param: string): FakeError {
  return invalidRequest(`Received unknown parameter: ${param}`, {
    code: 'parameter_unknown',
    param,
  });
}

export function missingParameter(param: string): FakeError {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}

export function invalidParameter(
  param: string,
  message: string,
  code = 'parameter_invalid',
): FakeError {
  return invalidRequest(message, { code, param });
}

/** 404 for an id in the path, 400 when the unknown id came in a parameter (as Stripe does). */
export function noSuch(thing: string, id: string, param?: string): FakeError {
  return new FakeError(param ? 400 : 404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${thing}: '${id}'`,
    ...(param ? { param } : {}),
  });
}

export function cardDeclined(): FakeError {
  return new FakeError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  });
}
