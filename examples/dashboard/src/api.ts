import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { type Client, createClient } from 'graphql-ws';

/** The server that serves this page also answers GraphQL, over HTTP and WebSocket. */
const HTTP_URL = '/graphql';
const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

/** A GraphQL error (UNAUTHENTICATED, FORBIDDEN, ...), as opposed to a typed error in the data. */
export class ApiError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

interface Response<T> {
  data?: T | null;
  errors?: readonly { message: string; extensions?: { code?: string } }[];
}

function unwrap<T>({ data, errors }: Response<T>): T {
  const [first] = errors ?? [];
  if (first || !data) {
    throw new ApiError(first?.message ?? 'no data', first?.extensions?.code ?? 'UNKNOWN');
  }
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

/** One WebSocket per key; the key travels in connection_init, never in the URL. */
export function connectLive(key: string): Client {
  return createClient({
    url: WS_URL,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
  });
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
      error: (error) =>
        onError(new ApiError(error instanceof Error ? error.message : 'connection lost', 'LIVE')),
      complete: () => {},
    },
  );
}
