import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { type Client, createClient } from 'graphql-ws';

/** The server that serves this page also answers GraphQL, over HTTP and WebSocket. */
const HTTP_URL = '/graphql';
const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

/**
 * A GraphQL error (UNAUTHENTICATED, FORBIDDEN, ...), as opposed to a typed error in the data;
 * LIVE for the WebSocket failing. The key refused over either transport is UNAUTHENTICATED:
 * HTTP answers 401 with that code, graphql-ws closes with REFUSED_KEY_CLOSE_CODES.
 */
export class ApiError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

type GraphQLErrors = readonly { message: string; extensions?: { code?: string } }[];

interface Response<T> {
  data?: T | null;
  errors?: GraphQLErrors;
}

function errorOf(errors: GraphQLErrors | undefined): ApiError {
  const [first] = errors ?? [];
  return new ApiError(first?.message ?? 'no data', first?.extensions?.code ?? 'UNKNOWN');
}

function unwrap<T>({ data, errors }: Response<T>): T {
  if (errors?.length || !data) throw errorOf(errors);
  return data;
}

/** A query or mutation over HTTP, typed by its generated document. */
export async function request<TResult, TVariables>(
  key: string,
  document: DocumentTypeDecoration<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const response = await fetch(HTTP_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  return unwrap((await response.json()) as Response<TResult>);
}

/**
 * 4401: no valid key at connection_init. 4403: the key was revoked while connected. Either way
 * another attempt with the same key cannot succeed: the client gives up and says why.
 */
const REFUSED_KEY_CLOSE_CODES: readonly number[] = [4401, 4403];

interface CloseEventLike {
  code: number;
  reason: string;
}

function isCloseEvent(value: unknown): value is CloseEventLike {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'code') === 'number'
  );
}

/**
 * One WebSocket per key; the key travels in connection_init, never in the URL. It reconnects
 * after anything but a refused key (graphql-ws itself gives up on 4401, and would retry 4403).
 */
export function connectLive(key: string): Client {
  return createClient({
    url: WS_URL,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => !(isCloseEvent(event) && REFUSED_KEY_CLOSE_CODES.includes(event.code)),
  });
}

/** What a subscription's error sink receives: a close event, GraphQL errors, or an Error. */
function liveError(error: unknown): ApiError {
  if (isCloseEvent(error)) {
    if (REFUSED_KEY_CLOSE_CODES.includes(error.code)) {
      return new ApiError(
        error.reason || `the live connection closed with ${error.code}`,
        'UNAUTHENTICATED',
      );
    }
    return new ApiError(
      `connection lost (${error.code}${error.reason ? `: ${error.reason}` : ''})`,
      'LIVE',
    );
  }
  if (Array.isArray(error)) return errorOf(error);
  return new ApiError(error instanceof Error ? error.message : 'connection lost', 'LIVE');
}

/** Subscribes with a generated document; answers the function that stops it. */
export function subscribe<TResult, TVariables>(
  client: Client,
  document: DocumentTypeDecoration<TResult, TVariables>,
  onData: (data: TResult) => void,
  onError: (error: ApiError) => void,
): () => void {
  return client.subscribe<TResult>(
    { query: document.toString() },
    {
      next: (result) => {
        try {
          onData(unwrap(result as Response<TResult>));
        } catch (error) {
          onError(error as ApiError);
        }
      },
      error: (error) => onError(liveError(error)),
      complete: () => {},
    },
  );
}
