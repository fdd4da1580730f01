/**
 * What a failed statement may show in a log: its text, the database's code, constraint and
 * message, never the values bound to it (webhook signing secrets, key hashes, e-mail addresses,
 * metadata). The drivers carry those values in several places:
 * - drizzle's DrizzleQueryError: `params`, and its message and stack ("Failed query: …\nparams: …");
 * - PGlite's errors: `params` and `queryOptions`;
 * - postgres.js's errors: `parameters` and `args` (enumerable with its `debug` option);
 * - Postgres itself: `detail` ("Failing row contains (…)", "Key (email)=(…) already exists") and
 *   some messages (`invalid input syntax for type uuid: "…"`).
 */

const PARAMETER_KEYS = new Set(['params', 'parameters', 'args', 'queryOptions']);
const REDACTED = '[redacted]';
/** Shorter values are left alone: replacing "1" or "EUR" everywhere garbles the text. */
const MIN_REDACTED_LENGTH = 4;
const MAX_DEPTH = 8;
/** drizzle's parameter line, to the end of the text (the values may hold line breaks). */
const PARAMS_LINE_TO_END = /\nparams: [\s\S]*$/;

/** What to take out of the texts of one logged error. */
interface BoundValues {
  /** drizzle's exact "\nparams: …" lines. */
  lines: string[];
  /** Every bound string, longest first. */
  values: string[];
}

const isErrorLike = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { message?: unknown }).message === 'string';

/**
 * The values bound to the failed statements of an error, its causes and the errors it carries
 * (`cause`, `originalError`, AggregateError's `errors`, any other property).
 */
export function boundValuesOf(error: unknown): BoundValues {
  const found: BoundValues = { lines: [], values: [] };
  collect(error, found, new Set(), 0);
  found.values = [...new Set(found.values)].sort((a, b) => b.length - a.length);
  return found;
}

function collect(error: unknown, into: BoundValues, seen: Set<unknown>, depth: number): void {
  if (!isErrorLike(error) || seen.has(error) || depth > MAX_DEPTH) return;
  seen.add(error);
  for (const key of ['params', 'parameters', 'args']) {
    const bound = error[key];
    if (!Array.isArray(bound)) continue;
    if (key === 'params' && typeof error.query === 'string') into.lines.push(paramsLine(bound));
    addStrings(bound, into.values, 0);
  }
  const errors = Array.isArray(error.errors) ? error.errors : [];
  for (const next of [error.cause, error.originalError, ...errors, ...Object.values(error)]) {
    collect(next, into, seen, depth + 1);
  }
}

/** The line drizzle writes: `Failed query: ${query}\nparams: ${params}`. */
function paramsLine(params: unknown[]): string {
  try {
    return `\nparams: ${params}`;
  } catch {
    return '\nparams: ';
  }
}

function addStrings(value: unknown, into: string[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (value.length >= MIN_REDACTED_LENGTH) into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) addStrings(item, into, depth + 1);
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    if (ArrayBuffer.isView(value)) return;
    for (const item of Object.values(value)) addStrings(item, into, depth + 1);
  }
}

/** A text without drizzle's parameter lines and without any bound value. */
function scrubText(text: string, bound: BoundValues): string {
  let scrubbed = text;
  for (const line of bound.lines) scrubbed = scrubbed.replaceAll(line, '');
  for (const value of bound.values) scrubbed = scrubbed.replaceAll(value, REDACTED);
  return scrubbed.replace(/\nparams: [^\n]*/g, '');
}

/**
 * A copy of a serialized error (pino's `err` serializer output) without the bound values of the
 * failed statements in it: parameter properties dropped, Postgres' `detail` redacted, messages and
 * stacks cleaned. The statement text (`query`) stays. Only plain objects and arrays are copied
 * and looked into; other objects (dates, buffers) are kept as they are.
 */
export function withoutBoundValues(serialized: unknown, bound: BoundValues, depth = 0): unknown {
  if (typeof serialized === 'string') return scrubText(serialized, bound);
  if (!serialized || typeof serialized !== 'object') return serialized;
  if (depth > MAX_DEPTH) return '[not logged: nested too deep]';
  if (Array.isArray(serialized)) {
    return serialized.map((item) => withoutBoundValues(item, bound, depth + 1));
  }
  const proto = Object.getPrototypeOf(serialized);
  if (proto !== Object.prototype && proto !== null && !isErrorLike(serialized)) return serialized;
  const record = serialized as Record<string, unknown>;
  // Postgres' errors (PGlite's, postgres.js', pg's) carry a severity.
  const isDatabaseError = typeof record.severity === 'string';
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (PARAMETER_KEYS.has(key)) continue;
    copy[key] =
      key === 'detail' && isDatabaseError ? REDACTED : withoutBoundValues(value, bound, depth + 1);
  }
  return copy;
}

/**
 * A log message that may hold an interpolated DrizzleQueryError (`${error}`) without its parameter
 * line. Values bound to it are unknown here: everything from "\nparams: " on goes.
 */
export function withoutParamsLine(message: string): string {
  return message.replace(PARAMS_LINE_TO_END, '');
}

/** An error's message fit for a log line (pino uses it when an error is logged alone). */
export function loggableMessage(error: { message: string }): string {
  return scrubText(error.message, boundValuesOf(error));
}
