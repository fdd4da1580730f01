import { Decimal as DecimalJs } from 'decimal.js';

/**
 * Exact decimal arithmetic for quantities and unit prices. The precision is far above anything a
 * quantity (38 digits, 12 after the point) times a unit price can produce, so sums and products
 * are exact; only division (percentages, projections, proration) rounds, and money is rounded
 * once per line item by money.ts.
 */
export const Decimal = DecimalJs.clone({
  precision: 100,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Decimal = InstanceType<typeof Decimal>;

/** Most digits after the point a quantity or unit price may carry (Postgres numeric(38,12)). */
const MAX_SCALE = 12;
/** Most digits before the point (numeric(38,12) leaves 26). */
const MAX_INTEGER_DIGITS = 26;

const DECIMAL_TEXT = /^-?(\d+)(?:\.(\d+))?$/;

export type DecimalParseResult = { ok: true; value: Decimal } | { ok: false; reason: string };

/**
 * Parses a plain decimal string ("12", "0.0003", "-1.5"). Exponents, NaN, Infinity, hex and
 * blanks are refused: a billing quantity is written out in full.
 */
export function parseDecimal(text: string): DecimalParseResult {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) return { ok: false, reason: `"${truncate(text)}" is not a plain decimal number` };
  const [, integerPart = '', fraction = ''] = match;
  if (fraction.length > MAX_SCALE) {
    return { ok: false, reason: `at most ${MAX_SCALE} digits after the decimal point` };
  }
  if (integerPart.replace(/^0+(?=\d)/, '').length > MAX_INTEGER_DIGITS) {
    return { ok: false, reason: `at most ${MAX_INTEGER_DIGITS} digits before the decimal point` };
  }
  return { ok: true, value: new Decimal(text.trim()) };
}

/** The canonical text of a decimal: no exponent, no trailing zeros ("0.000500000000" → "0.0005"). */
export function formatDecimal(value: Decimal | string): string {
  const decimal = typeof value === 'string' ? new Decimal(value) : value;
  // -0 prints as "0".
  return decimal.isZero() ? '0' : decimal.toFixed();
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
