import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { GRAPHIQL_ASSETS_PATH } from './graphiql.ts';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql.ts';
import { sendJson } from './respond.ts';

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  request: { requestId: string; log: Logger },
) => void | Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Also answers every path below `path` (a folder of files). */
  prefix?: boolean;
  handle: RouteHandler;
}

const routeMatches = (route: Route, path: string) =>
  route.path === path || (route.prefix === true && path.startsWith(`${route.path}/`));

/**
 * One HTTP server, one port: GraphQL (Yoga) at /graphql and the REST sidecar routes beside it.
 * Every request gets a request id (the caller's X-Request-Id when it looks like one) that is echoed
 * back and carried by every log line about it.
 */
export function createHttpServer(deps: {
  yoga: GraphQLHandler;
  routes: Route[];
  log: Logger;
  maxBodyBytes: number;
}) {
  const { yoga, routes, log, maxBodyBytes } = deps;

  const server = createServer(async (req, res) => {
    const requestId = requestIdOf(req);
    const requestLog = log.child({ requestId });
    res.setHeader('x-request-id', requestId);
    const path = pathOf(req.url);
    if (log.isLevelEnabled('info')) {
      const started = performance.now();
      res.on('finish', () => {
        requestLog.info(
          {
            method: req.method,
            path,
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        );
      });
    }

    try {
      const route = routes.find((r) => r.method === req.method && routeMatches(r, path));
      if (route) {
        await route.handle(req, res, { requestId, log: requestLog });
        return;
      }
      // GraphiQL's scripts and styles too: Yoga serves them where GraphiQL is on (development).
      if (path === GRAPHQL_PATH || path.startsWith(`${GRAPHIQL_ASSETS_PATH}/`)) {
        // Whether CORS headers are sent depends on the caller's Origin (CORS_ORIGINS).
        res.setHeader('vary', 'Origin');
        const refusal = bodyRefusal(req, maxBodyBytes);
        if (refusal) {
          // Do not read a body we refuse: close the connection after answering.
          res.setHeader('connection', 'close');
          sendJson(res, refusal.status, { errors: [{ message: refusal.message }] });
          return;
        }
        await yoga(req, res, { requestId, log: requestLog });
        return;
      }
      const known = routes.some((r) => routeMatches(r, path));
      sendJson(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
    } catch (error) {
      requestLog.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error', requestId });
      else res.destroy();
    }
  });
  // Idle keep-alive connections stay open longer than clients and load balancers keep theirs
  // (undici 4 s, most balancers 60 s), so that the client, not the server, closes them: a server
  // closing first races a request sent on the same connection, which then fails with ECONNRESET.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

/**
 * Bodies are JSON, and bounded before anything reads them: a POST must say how long it is (Node
 * then never reads past that length) and stay within the limit.
 */
function bodyRefusal(
  req: IncomingMessage,
  maxBodyBytes: number,
): { status: number; message: string } | null {
  if (req.method !== 'POST') return null;
  const type = mediaTypeOf(req.headers['content-type']);
  if (!JSON_MEDIA_TYPES.has(type)) {
    const sent = type ? `not ${type}` : 'and this request has no Content-Type';
    return { status: 415, message: `GraphQL POST bodies must be application/json, ${sent}` };
  }
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    return { status: 411, message: 'A Content-Length header is required' };
  }
  if (Number(declared) > maxBodyBytes) {
    return {
      status: 413,
      message: `Request body of ${declared} bytes is over the limit of ${maxBodyBytes} bytes`,
    };
  }
  return null;
}

/**
 * What a GraphQL POST may be: JSON, which a browser sends to another origin only after a CORS
 * preflight. Never multipart/form-data, application/x-www-form-urlencoded or text/plain, which a
 * page on any site can have a browser send without asking (CSRF; Yoga would execute the first two),
 * nor Yoga's other formats (application/graphql).
 */
const JSON_MEDIA_TYPES = new Set(['application/json', 'application/graphql+json']);

/** "Application/JSON; charset=utf-8" → "application/json"; absent → "". */
function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** The path of a request target ("/graphql?x=1" → "/graphql"), without building a URL. */
function pathOf(target: string | undefined): string {
  if (!target) return '/';
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
