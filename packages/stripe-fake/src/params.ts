import { invalidParameter, missingParameter, unknownParameter } from './errors.ts';
import type { FormObject, FormValue } from './form.ts';

/**
 * Per-endpoint parameter schemas. Validating against them rejects unknown parameters the way
 * Stripe does (so typos in the billing server fail loudly) and coerces strings to numbers and
 * booleans once, so handlers read typed values.
 */
type Spec =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'strings'
  | 'metadata'
  | 'integer_or_now'
  | { object: Schema }
  | { list: Schema };
export type Schema = { [name: string]: Spec };

type Value = string | number | boolean | null | Value[] | Params;
export type Params = { [name: string]: Value };

/** Validates `raw` against `schema`; `expand[]` is accepted everywhere. */
export function parseParams(raw: FormObject, schema: Schema): Params {
  return parseObject(raw, { ...schema, expand: 'strings' }, '');
}

function parseObject(raw: FormObject, schema: Schema, prefix: string): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries(raw)) {
    const path = prefix ? `${prefix}[${name}]` : name;
    const spec = schema[name];
    if (!spec) throw unknownParameter(path);
    out[name] = parseValue(value, spec, path);
  }
  return out;
}

function parseValue(value: FormValue, spec: Spec, path: string): Value {
  if (typeof spec === 'object') {
    // Stripe lets an empty string stand for "unset" on optional hashes.
    if (value === '') return null;
    if ('object' in spec) {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalidHash(path);
      return parseObject(value, spec.object, path);
    }
    if (!Array.isArray(value)) throw invalidArray(path);
    return value.map((entry, index) => {
      if (typeof entry !== 'object' || Array.isArray(entry)) throw invalidHash(`${path}[${index}]`);
      return parseObject(entry, spec.list, `${path}[${index}]`);
    });
  }
  switch (spec) {
    case 'string':
      return scalar(value, path);
    case 'integer':
      return integer(scalar(value, path), path);
    case 'integer_or_now': {
      const text = scalar(value, path);
      return text === 'now' ? text : integer(text, path);
    }
    case 'boolean': {
      const text = scalar(value, path);
      if (text !== 'true' && text !== 'false') {
        throw invalidParameter(path, `Invalid boolean: ${text}`, 'parameter_invalid_boolean');
      }
      return text === 'true';
    }
    case 'strings':
      if (value === '') return [];
      if (!Array.isArray(value)) throw invalidArray(path);
      return value.map((entry, index) => scalar(entry, `${path}[${index}]`));
    case 'metadata':
      return metadata(value, path);
  }
}

function scalar(value: FormValue, path: string): string {
  if (typeof value !== 'string') throw invalidParameter(path, `Invalid string: ${path}`);
  return value;
}

function integer(text: string, path: string): number {
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalidParameter(path, `Invalid integer: ${text}`, 'parameter_invalid_integer');
  }
  return Number(text);
}

/** `metadata=` clears every key (null); `metadata[k]=` unsets one key (kept as ''). */
function metadata(value: FormValue, path: string): Value {
  if (value === '') return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidHash(path);
  const out: Params = {};
  for (const [key, entry] of Object.entries(value)) out[key] = scalar(entry, `${path}[${key}]`);
  return out;
}

function invalidHash(path: string) {
  return invalidParameter(path, `Invalid hash: ${path}`);
}

function invalidArray(path: string) {
  return invalidParameter(path, `Invalid array: ${path}`);
}

// Typed readers for validated params. `path` names the parameter in parameter_missing errors.

export function optString(p: Params, name: string): string | undefined {
  const value = p[name];
  return typeof value === 'string' ? value : undefined;
}

export function reqString(p: Params, name: string, path = name): string {
  const value = optString(p, name);
  if (value === undefined || value === '') throw missingParameter(path);
  return value;
}

export function optInt(p: Params, name: string): number | undefined {
  const value = p[name];
  return typeof value === 'number' ? value : undefined;
}

export function reqInt(p: Params, name: string, path = name): number {
  const value = optInt(p, name);
  if (value === undefined) throw missingParameter(path);
  return value;
}

export function optBool(p: Params, name: string): boolean | undefined {
  const value = p[name];
  return typeof value === 'boolean' ? value : undefined;
}

export function optIntOrNow(p: Params, name: string): number | 'now' | undefined {
  const value = p[name];
  return value === 'now' || typeof value === 'number' ? value : undefined;
}

export function optStrings(p: Params, name: string): string[] | undefined {
  const value = p[name];
  return Array.isArray(value) ? value.filter((entry) => typeof entry === 'string') : undefined;
}

export function optObject(p: Params, name: string): Params | undefined {
  const value = p[name];
  return isParams(value) ? value : undefined;
}

export function optList(p: Params, name: string): Params[] | undefined {
  const value = p[name];
  return Array.isArray(value) ? value.filter(isParams) : undefined;
}

/** Metadata update: undefined = untouched, null = clear all, '' values = unset that key. */
export function optMetadata(
  p: Params,
  name = 'metadata',
): Record<string, string> | null | undefined {
  const value = p[name];
  if (value === null) return null;
  if (!isParams(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') out[key] = entry;
  return out;
}

/** Applies a metadata update the way Stripe merges it into existing metadata. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Record<string, string> | null | undefined,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === null) return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function isParams(value: Value | undefined): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string parameter restricted to `values`. */
export function optEnum<T extends string>(
  p: Params,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = optString(p, name);
  if (value === undefined) return undefined;
  const known = values.find((candidate) => candidate === value);
  if (known === undefined) {
    throw invalidParameter(name, `Invalid ${name}: must be one of ${values.join(', ')}`);
  }
  return known;
}
