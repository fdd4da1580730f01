import { invalidParameter } from './errors.ts';

/**
 * Money arithmetic on integer minor units. Prorations multiply before dividing, in BigInt, so
 * no float ever touches an amount.
 */

/** round(amount × numerator / denominator), halves away from zero. */
export function prorate(amount: number, numerator: number, denominator: number): number {
  if (denominator <= 0) throw new Error('proration over an empty period');
  const product = BigInt(amount) * BigInt(numerator);
  const divisor = BigInt(denominator);
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  let quotient = magnitude / divisor;
  if ((magnitude % divisor) * 2n >= divisor) quotient += 1n;
  return Number(negative ? -quotient : quotient);
}

/** "$49.00", "€12.50", "12.00 SEK": enough for invoice line descriptions. */
export function formatAmount(amount: number, currency: string): string {
  const symbols: Record<string, string> = { usd: '$', eur: '€', gbp: '£' };
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const text = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  const symbol = symbols[currency];
  return symbol ? `${sign}${symbol}${text}` : `${sign}${text} ${currency.toUpperCase()}`;
}

/**
 * Stripe takes amounts of at most eight digits (99999999 minor units, $999,999.99 in usd) and
 * refuses a larger one with `amount_too_large`.
 */
const MAX_AMOUNT = 99_999_999;

export function checkAmountSize(param: string, amount: number): number {
  if (Math.abs(amount) > MAX_AMOUNT) {
    throw invalidParameter(
      param,
      `Amount must be no more than ${MAX_AMOUNT} in the currency's smallest unit.`,
      'amount_too_large',
    );
  }
  return amount;
}
