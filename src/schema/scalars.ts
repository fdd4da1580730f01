import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import { formatDecimal } from '../billing/decimal.ts';
import { isStorableAmount } from '../billing/money.ts';
import { builder } from './builder.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: unknown): Date {
  if (typeof value === 'string' && ISO_INSTANT.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(
    'DateTime must be an ISO-8601 timestamp with a time zone, e.g. 2026-03-01T00:00:00.000Z',
  );
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 UTC timestamp, millisecond precision.',
  serialize: (value) =>
    value instanceof Date ? value.toISOString() : parseInstant(value).toISOString(),
  parseValue: parseInstant,
  parseLiteral: (ast) => parseInstant(ast.kind === Kind.STRING ? ast.value : undefined),
});

/**
 * Decimals travel as strings. Numeric literals written in a query are taken from their exact
 * source text; JSON numbers in variables only when they are safe integers (a JSON fraction has
 * already been through a float).
 */
function decimalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new GraphQLError('Decimal must be a string such as "12.5" (numbers lose precision)');
}

builder.scalarType('Decimal', {
  description:
    'An exact decimal number carried as a string ("0.0003", "1250000.5"); never a float.',
  serialize: (value) => formatDecimal(value),
  parseValue: decimalText,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) {
      return ast.value;
    }
    throw new GraphQLError('Decimal must be a string such as "12.5"');
  },
});

const MINOR_UNITS = /^-?\d{1,19}$/;

/**
 * Minor units in: a string of digits (or a safe JSON integer) within what an invoice can store.
 * Out, any size: a computed amount (usage of a huge quantity) is exact however long.
 */
function parseMinorUnits(value: unknown): bigint {
  const text =
    typeof value === 'string' ? value : Number.isSafeInteger(value) ? String(value) : null;
  if (text !== null && MINOR_UNITS.test(text)) {
    const amount = BigInt(text);
    if (isStorableAmount(amount)) return amount;
  }
  throw new GraphQLError(
    'MinorUnits must be a string of digits with an optional minus sign, such as "4900", within a signed 64-bit integer',
  );
}

builder.scalarType('MinorUnits', {
  description:
    "An integer amount in a currency's smallest unit, as a string of digits with an optional minus sign.",
  serialize: (value) => String(value),
  parseValue: parseMinorUnits,
  parseLiteral: (ast) =>
    parseMinorUnits(ast.kind === Kind.STRING || ast.kind === Kind.INT ? ast.value : undefined),
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});
