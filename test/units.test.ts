import { describe, expect, it } from 'vitest';
import { Decimal } from '../src/billing/decimal.ts';
import { unitFor } from '../src/billing/units.ts';

const d = (value: string) => new Decimal(value);

describe('a unit after its quantity', () => {
  it('is singular for exactly one and plural otherwise, fractions included', () => {
    expect(unitFor(d('1'), 'request')).toBe('request');
    expect(unitFor(d('1.000'), 'seat')).toBe('seat');
    expect(unitFor(d('250000'), 'request')).toBe('requests');
    expect(unitFor(d('1.5'), 'seat')).toBe('seats');
    expect(unitFor(d('0'), 'hour')).toBe('hours');
  });

  it("takes English's regular plurals and leaves symbols alone", () => {
    expect(unitFor(d('2'), 'query')).toBe('queries');
    expect(unitFor(d('2'), 'day')).toBe('days');
    expect(unitFor(d('2'), 'box')).toBe('boxes');
    expect(unitFor(d('2'), 'batch')).toBe('batches');
    expect(unitFor(d('30'), 'GB')).toBe('GB');
    expect(unitFor(d('30'), 'kWh')).toBe('kWh');
    expect(unitFor(d('30'), 'vCPU-hour')).toBe('vCPU-hour');
  });
});
