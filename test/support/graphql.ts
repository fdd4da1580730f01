import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

/** One GraphQL request over HTTP, as a client would send it. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  options: {
    variables?: Record<string, unknown>;
    key?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The error codes of a response, in order. */
export function errorCodes(response: { errors?: { extensions?: Record<string, unknown> }[] }) {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}

export interface WsOutcome<T> {
  result?: { data?: T | null; errors?: GraphQLResponse['errors'] };
  /** Set when the server closed the socket instead of answering. */
  closed?: { code: number; reason: string };
}

/** A graphql-ws client (the graphql-ws package's own) over a real socket. */
export function wsClient(
  graphqlUrl: string,
  key?: string,
): Client & { closedWith: Promise<{ code: number; reason: string }> } {
  let resolveClosed: (value: { code: number; reason: string }) => void = () => {};
  const closedWith = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const client = createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        resolveClosed({ code: e.code, reason: String(e.reason) });
      },
    },
  });
  return Object.assign(client, { closedWith });
}

/** Runs one query or mutation over graphql-ws and reports its result or the socket's close. */
export async function wsExecute<T = Record<string, any>>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Promise<WsOutcome<T>> {
  return new Promise((resolve) => {
    let result: WsOutcome<T>['result'];
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          result = value as WsOutcome<T>['result'];
        },
        error: (error) => {
          const closeEvent = error as { code?: number; reason?: string };
          if (typeof closeEvent?.code === 'number') {
            resolve({ closed: { code: closeEvent.code, reason: String(closeEvent.reason) } });
          } else if (Array.isArray(error)) {
            resolve({ result: { errors: error as GraphQLResponse['errors'] } });
          } else {
            resolve({ result: { errors: [{ message: String(error) }] } });
          }
        },
        complete: () => resolve(result ? { result } : {}),
      },
    );
  });
}

export interface Subscription<T> {
  /** Every result received so far. */
  results: { data?: T | null; errors?: GraphQLResponse['errors'] }[];
  /** Resolves when `count` results have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the error or close that ended the subscription, if any. */
  ended: Promise<unknown>;
  stop(): void;
}

/** Subscribes with a graphql-ws client and collects what arrives. */
export function collect<T = Record<string, any>>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Subscription<T> {
  const results: Subscription<T>['results'] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let endedResolve: (value: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => {
    endedResolve = resolve;
  });
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        results.push(value as Subscription<T>['results'][number]);
        for (const waiter of waiters.filter((w) => results.length >= w.count)) waiter.resolve();
      },
      error: (error) => endedResolve(error),
      complete: () => endedResolve('complete'),
    },
  );
  return {
    results,
    ended,
    stop,
    waitFor(count, timeoutMs = 10_000) {
      if (results.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`timed out waiting for ${count} results; got ${JSON.stringify(results)}`),
            ),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
