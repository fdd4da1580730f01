import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Validates input at the edge with a zod schema; the inferred type flows inward. Used by GraphQL
 * resolvers (after the auth check, so that a caller without rights learns nothing about
 * validation), the REST sidecar and the CLI alike.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  pathPrefix: string[] = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fieldErrors = result.error.issues.map((issue) => ({
    path: [...pathPrefix, ...issue.path.map(String)],
    message: issue.message,
  }));
  const summary = fieldErrors
    .map((f) => (f.path.length ? `${f.path.join('.')}: ${f.message}` : f.message))
    .join('; ');
  throw new ValidationError(`Invalid input: ${summary}`, fieldErrors);
}
