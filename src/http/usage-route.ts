import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatDecimal } from '../billing/decimal.ts';
import type { Services } from '../context.ts';
import { QuotaExceededError, ValidationError } from '../errors.ts';
import { createRequestContext } from '../request-context.ts';
import { recordUsageEvents, summarize } from '../resolvers/metering/record-usage.ts';
import { BodyTooLargeError } from './body.ts';
import { sendJson } from './respond.ts';
import { memberOf } from './route-auth.ts';
import type { RouteHandler } from './server.ts';
import { readUsageEvents, TooManyEventsError, UnparseableBodyError } from './usage-body.ts';

/**
 * POST /v1/usage: bulk ingestion for producers. Bearer key of an OWNER or INGEST; the body is a
 * JSON array of events, or NDJSON (one event per line) when the content type says so
 * (application/x-ndjson), up to 10,000 events. A body that does not
 * parse is refused whole (400) and nothing is stored; otherwise each event is checked on its own
 * and the answer counts what was accepted and lists what was rejected, by index.
 */
export function usageIngestRoute(services: Services): RouteHandler {
  const { maxBodyBytes, maxEventsPerRequest } = services.config.usage;
  return async (req, res, request) => {
    const principal = await memberOf(services, req, res, 'recordUsage', 'record usage');
    if (!principal) return;

    let events: unknown[];
    try {
      events = await readUsageEvents(req, {
        maxBytes: maxBodyBytes,
        maxEvents: maxEventsPerRequest,
        ndjson: isNdjson(req),
      });
    } catch (error) {
      if (error instanceof BodyTooLargeError || error instanceof TooManyEventsError) {
        return refuse(res, 413, error.message);
      }
      if (error instanceof UnparseableBodyError) return refuse(res, 400, error.message);
      throw error;
    }
    if (events.length === 0) return refuse(res, 400, 'The body holds no events');

    const ctx = createRequestContext(services, { principal, ...request });
    const { outcomes } = await recordUsageEvents(ctx, principal.organizationId, events);
    const { accepted, duplicates, rejected } = summarize(outcomes);
    sendJson(res, 200, {
      accepted,
      duplicates,
      rejected: rejected.map(({ index, error }) => ({ index, error: describeError(error) })),
    });
  };
}

function isNdjson(req: IncomingMessage): boolean {
  return /ndjson|jsonl|json-seq/.test(req.headers['content-type'] ?? '');
}

function describeError(error: Error) {
  if (error instanceof QuotaExceededError) {
    return {
      type: 'QuotaExceededError',
      message: error.message,
      meter: error.meterKey,
      limit: formatDecimal(error.limit),
      used: formatDecimal(error.used),
      requested: formatDecimal(error.requested),
      resetsAt: error.resetsAt?.toISOString() ?? null,
    };
  }
  if (error instanceof ValidationError) {
    return { type: 'ValidationError', message: error.message, fieldErrors: error.fieldErrors };
  }
  return { type: 'Error', message: 'Unexpected error' };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (status === 413) res.setHeader('connection', 'close');
  sendJson(res, status, { error: message });
}
