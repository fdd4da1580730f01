import { describe, expect, it } from 'vitest';
import { shift } from '../src/calendar.ts';
import { parseForm } from '../src/form.ts';
import { prorate } from '../src/money.ts';

describe('stripe fake: building blocks', () => {
  it('parses stripe-node form encoding into nested objects and arrays', () => {
    expect(
      parseForm(
        'items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3&metadata[a]=b&lookup_keys[0]=k',
      ),
    ).toEqual({
      items: [{ price: 'p1' }, { price: 'p2', quantity: '3' }],
      metadata: { a: 'b' },
      lookup_keys: ['k'],
    });
  });

  it('keeps the anchor day across short months and rounds halves away from zero', () => {
    const jan31 = Date.UTC(2026, 0, 31, 12) / 1000;
    const month = { interval: 'month' as const, interval_count: 1 };
    expect(new Date(shift(jan31, month, 1) * 1000).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(new Date(shift(jan31, month, 2) * 1000).toISOString()).toBe('2026-03-31T12:00:00.000Z');
    expect(prorate(5, 1, 2)).toBe(3);
    expect(prorate(-5, 1, 2)).toBe(-3);
    expect(prorate(4900, 1, 3)).toBe(1633);
  });
});
