import { describe, expect, it } from 'vitest';
import { Decimal, formatDecimal, parseDecimal } from '../src/billing/decimal.ts';
import {
  addMoney,
  formatMoney,
  formatUnitPrice,
  isStorableAmount,
  money,
  roundToMinorUnits,
} from '../src/billing/money.ts';

describe('decimals', () => {
  it('parses plain decimal text exactly and refuses everything else', () => {
    expect(parseDecimal('0.0003')).toMatchObject({ ok: true });
    expect(formatDecimal(new Decimal('0.1').plus('0.2'))).toBe('0.3');
    for (const bad of ['1e400', 'NaN', 'Infinity', '0x10', '', ' ', '1.', '.5', '1,5', '--1']) {
      expect(parseDecimal(bad).ok, bad).toBe(false);
    }
    expect(parseDecimal('0.0000000000001')).toEqual({
      ok: false,
      reason: 'at most 12 digits after the decimal point',
    });
    expect(parseDecimal('1'.repeat(27)).ok).toBe(false);
    expect(parseDecimal('1'.repeat(26)).ok).toBe(true);
  });

  it('prints decimals canonically, without exponent or trailing zeros', () => {
    expect(formatDecimal('0.000500000000')).toBe('0.0005');
    expect(formatDecimal('100000.000000000000')).toBe('100000');
    expect(formatDecimal(new Decimal('123456789012345678901234.5'))).toBe(
      '123456789012345678901234.5',
    );
    expect(formatDecimal(new Decimal('0.00000000000001'))).toBe('0.00000000000001');
    expect(formatDecimal(new Decimal('-0'))).toBe('0');
  });
});

describe('money', () => {
  it('rounds once, half away from zero', () => {
    // 12,345 × $0.0005 = $6.1725 → $6.17 (the metering issue's example)
    expect(roundToMinorUnits(new Decimal('12345').times('0.0005'), 'usd')).toEqual({
      amount: 617n,
      currency: 'usd',
    });
    expect(roundToMinorUnits(new Decimal('0.005'), 'usd').amount).toBe(1n);
    expect(roundToMinorUnits(new Decimal('0.0049999'), 'usd').amount).toBe(0n);
    expect(roundToMinorUnits(new Decimal('-0.005'), 'usd').amount).toBe(-1n);
    expect(roundToMinorUnits(new Decimal('2.675'), 'usd').amount).toBe(268n); // a float would say 267
    // 40,000,000 × $0.0002 + 10,000,000 × $0.0001 = $9,000.00
    const tiered = new Decimal('40000000')
      .times('0.0002')
      .plus(new Decimal('10000000').times('0.0001'));
    expect(roundToMinorUnits(tiered, 'usd').amount).toBe(900_000n);
  });

  it('knows currencies without minor units', () => {
    expect(roundToMinorUnits(new Decimal('1234.5'), 'jpy')).toEqual({
      amount: 1235n,
      currency: 'jpy',
    });
    expect(formatMoney(money(1235, 'jpy'))).toBe('¥1,235');
  });

  it('is exact far beyond a float, and knows what an invoice can store', () => {
    // $0.0003 × 40,000,000,000,000,000,000 requests = $12,000,000,000,000,000.00
    const huge = roundToMinorUnits(new Decimal('0.0003').times('40000000000000000000'), 'usd');
    expect(huge.amount).toBe(1_200_000_000_000_000_000n);
    expect(formatMoney(huge)).toBe('$12,000,000,000,000,000.00');
    // 10^20 dollars is 10^22 cents: exact, but more than a signed 64-bit column holds.
    expect(roundToMinorUnits(new Decimal('1e20'), 'usd').amount).toBe(10n ** 22n);
    expect(isStorableAmount(9_223_372_036_854_775_807n)).toBe(true);
    expect(isStorableAmount(9_223_372_036_854_775_808n)).toBe(false);
    expect(isStorableAmount(-9_223_372_036_854_775_808n)).toBe(true);
  });

  it('formats for people', () => {
    expect(formatMoney(money(4900, 'usd'))).toBe('$49.00');
    expect(formatMoney(money(0, 'usd'))).toBe('$0.00');
    expect(formatMoney(money(-350, 'usd'))).toBe('-$3.50');
    expect(formatMoney(money(123456789, 'usd'))).toBe('$1,234,567.89');
    expect(formatMoney(money(123450, 'eur'))).toBe('€1,234.50');
    expect(formatUnitPrice('0.0003', 'usd')).toBe('$0.0003');
    expect(formatUnitPrice('0.120000000000', 'usd')).toBe('$0.12');
    expect(formatUnitPrice('5', 'usd')).toBe('$5.00');
  });

  it('refuses amounts that are not safe integers and mixed currencies', () => {
    expect(() => money(0.5, 'usd')).toThrow(RangeError);
    expect(() => money(2 ** 53, 'usd')).toThrow(RangeError);
    expect(() => addMoney(money(1, 'usd'), money(1, 'eur'))).toThrow(
      /cannot add eur to usd|cannot add usd to eur/,
    );
    expect(addMoney(money(4900, 'usd'), money(617, 'usd'))).toEqual({
      amount: 5517n,
      currency: 'usd',
    });
  });
});
