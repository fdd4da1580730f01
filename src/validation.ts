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

/**
 * Why a text cannot be kept as sent, or null: Postgres refuses NUL in text and jsonb, and a lone
 * surrogate is not Unicode (drivers turn it into U+FFFD, so two different keys would collide).
 */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (!text.isWellFormed()) return 'must be valid Unicode (it holds a lone surrogate)';
  return null;
}

/** Why a JSON value cannot be kept as sent (a bad string anywhere, or deeper than `maxDepth`). */
export function jsonProblem(value: unknown, maxDepth: number): string | null {
  if (typeof value === 'string') return textProblem(value);
  if (value === null || typeof value !== 'object') return null;
  if (maxDepth === 0) return 'is nested too deeply';
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    const problem = textProblem(key) ?? jsonProblem(inner, maxDepth - 1);
    if (problem) return problem;
  }
  return null;
}
