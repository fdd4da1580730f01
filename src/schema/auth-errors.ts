import { GraphQLError } from 'graphql';

/**
 * Authentication and authorization failures are GraphQL errors (not result unions), with
 * extensions.code as the contract names them. A missing or invalid key also sets HTTP 401.
 */
export function unauthenticated(
  message = 'Authentication required: send an API key as "Authorization: Bearer <key>"',
): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

export function forbidden(role: string, what: string): GraphQLError {
  const hint =
    role === 'ADMIN' ? ' (ADMIN keys belong to no organization: use organization(id: ...))' : '';
  return new GraphQLError(`Forbidden: ${what} is not available to ${role} keys${hint}`, {
    extensions: { code: 'FORBIDDEN' },
  });
}
