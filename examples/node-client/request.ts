import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

/**
 * One GraphQL request over HTTP, typed by a generated document. Authentication and authorization
 * failures are GraphQL errors and throw; expected failures are data (typed errors in unions).
 */
export async function request<TResult, TVariables>(
  baseUrl: string,
  apiKey: string,
  document: DocumentTypeDecoration<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as {
    data?: TResult;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  if (body.errors?.length || !body.data) {
    const [first] = body.errors ?? [];
    throw new Error(
      `${first?.extensions?.code ?? response.status}: ${first?.message ?? 'no data in the response'}`,
    );
  }
  return body.data;
}
