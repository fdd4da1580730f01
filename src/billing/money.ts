import { Decimal } from './decimal.ts';

/**
 * Money is an integer amount in the currency's smallest unit (cents for USD), as Stripe keeps it.
 * Amounts computed from decimal quantities and prices are rounded to the smallest unit exactly
 * once, per line item, half away from zero ($6.1725 → $6.17, $0.005 → $0.01, -$0.005 → -$0.01).
 */
export interface Money {
  /** Smallest currency unit, exact at any size (a stored invoice holds a signed 64-bit one). */
  amount: bigint;
  /** ISO 4217, lower case, as Stripe writes it. */
  currency: string;
}

/** Digits after the point of a currency's smallest unit: 2 for usd, 0 for jpy, 3 for kwd. */
function minorUnitDigits(currency: string): number {
  let digits = minorDigits.get(currency);
  if (digits === undefined) {
    digits = formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
    minorDigits.set(currency, digits);
  }
  return digits;
}
// resolvedOptions() builds a new object each call; the invoice run asks for every line.
const minorDigits = new Map<string, number>();

export function money(amount: bigint | number, currency: string): Money {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
    throw new RangeError(`${amount} is not an exact integer amount of minor units`);
  }
  return { amount: BigInt(amount), currency: currency.toLowerCase() };
}

/** The range of a Postgres bigint, where invoices keep their amounts. */
const MAX_STORED = 2n ** 63n - 1n;
const MIN_STORED = -(2n ** 63n);

export function isStorableAmount(amount: bigint): boolean {
  return amount <= MAX_STORED && amount >= MIN_STORED;
}

/**
 * Rounds an amount in major units (e.g. dollars, possibly with many decimals) to the smallest
 * unit, half away from zero. The one place where a decimal becomes money.
 */
export function roundToMinorUnits(major: Decimal, currency: string): Money {
  const minor = major.times(new Decimal(10).pow(minorUnitDigits(currency)));
  // toDecimalPlaces(0, ROUND_HALF_UP) rounds half away from zero in decimal.js.
  const rounded = minor.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return money(BigInt(rounded.toFixed(0)), currency);
}

/** The amount in major units as an exact decimal ("49.00" for 4900 cents). */
function toMajorUnits(value: Money): Decimal {
  return new Decimal(value.amount.toString()).dividedBy(
    new Decimal(10).pow(minorUnitDigits(value.currency)),
  );
}

/** For sorting: a negative number when a < b, 0 when equal, positive when a > b. */
export function compareAmounts(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) {
    throw new Error(`cannot add ${a.currency} to ${b.currency}`);
  }
  return money(a.amount + b.amount, a.currency);
}

/** For people: "$49.00", "-$3.50", "€1,234.50". */
export function formatMoney(value: Money): string {
  const digits = minorUnitDigits(value.currency);
  return formatterFor(value.currency).format(
    toMajorUnits(value).toFixed(digits) as Intl.StringNumericLiteral,
  );
}

/**
 * A unit price for people, with as many decimals as it carries but at least the currency's:
 * "$0.0003", "$0.12", "$5.00".
 */
export function formatUnitPrice(unitPrice: Decimal | string, currency: string): string {
  const price = typeof unitPrice === 'string' ? new Decimal(unitPrice) : unitPrice;
  const digits = Math.max(minorUnitDigits(currency), price.decimalPlaces());
  return formatterFor(currency, digits).format(price.toFixed(digits) as Intl.StringNumericLiteral);
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string, fractionDigits?: number): Intl.NumberFormat {
  const key = `${currency}:${fractionDigits ?? ''}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      ...(fractionDigits === undefined
        ? {}
        : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }),
    });
    formatters.set(key, formatter);
  }
  return formatter;
}
