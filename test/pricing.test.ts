import { describe, expect, it } from 'vitest';
import { applyEvent, emptyTotal } from '../src/billing/aggregation.ts';
import { Decimal } from '../src/billing/decimal.ts';
import { overageCost } from '../src/billing/pricing.ts';
import { effectiveQuota } from '../src/billing/quota.ts';
import { checkQuota, evaluateUsage, percentOf } from '../src/billing/usage-evaluation.ts';

const d = (value: string | number) => new Decimal(value);
const tiers = [
  { upTo: '50000000', unitPrice: '0.0002' },
  { upTo: null, unitPrice: '0.0001' },
];

describe('overage cost', () => {
  it('prices graduated tiers over total usage, rounding once', () => {
    const terms = { included: d('10000000'), unitPrice: null, tiers };
    expect(overageCost(d('10000000'), terms, 'usd').amount).toBe(0n);
    expect(overageCost(d('10000001'), terms, 'usd').amount).toBe(0n); // $0.0002 rounds to 0n cents
    expect(overageCost(d('10000025'), terms, 'usd').amount).toBe(1n); // $0.005 → $0.01
    expect(overageCost(d('50000000'), terms, 'usd').amount).toBe(800_000n);
    expect(overageCost(d('60000000'), terms, 'usd').amount).toBe(900_000n);
    expect(overageCost(d('60000000.5'), terms, 'usd').amount).toBe(900_000n); // + $0.00005
  });

  it('skips tiers that end below the included quantity', () => {
    const terms = { included: d('60000000'), unitPrice: null, tiers };
    expect(overageCost(d('70000000'), terms, 'usd').amount).toBe(100_000n);
  });

  it('prices a flat overage exactly', () => {
    expect(
      overageCost(
        d('112345'),
        { included: d('100000'), unitPrice: d('0.0005'), tiers: null },
        'usd',
      ).amount,
    ).toBe(617n);
    expect(
      overageCost(d('130'), { included: d('100'), unitPrice: d('0.10'), tiers: null }, 'usd')
        .amount,
    ).toBe(300n);
  });
});

describe('aggregation', () => {
  const event = (id: string, quantity: string, at: string) => ({
    id,
    quantity: d(quantity),
    occurredAt: new Date(at),
  });
  it('LAST breaks a tie on occurredAt by the higher id', () => {
    let total = emptyTotal();
    total = applyEvent('LAST', total, event('evt_b', '5', '2026-03-01T00:00:00Z'));
    total = applyEvent('LAST', total, event('evt_a', '9', '2026-03-01T00:00:00Z'));
    expect(total.value.toFixed()).toBe('5');
    expect(total.eventCount).toBe(2);
  });
  it('MAX starts from the first event, not from zero', () => {
    const total = applyEvent('MAX', emptyTotal(), event('evt_a', '0.5', '2026-03-01T00:00:00Z'));
    expect(total.value.toFixed()).toBe('0.5');
  });
});

describe('effective quota', () => {
  const plan = {
    includedQuantity: '100',
    limitMode: 'OVERAGE' as const,
    overageUnitPrice: '0.10',
    overageTiers: null,
  };
  it('takes the override, keeping the plan price when the override has none', () => {
    expect(
      effectiveQuota(plan, { limitQuantity: '500', limitMode: 'OVERAGE', overageUnitPrice: null }),
    ).toMatchObject({
      limit: d(500),
      overageUnitPrice: d('0.1'),
      source: 'override',
    });
    expect(
      effectiveQuota(plan, { limitQuantity: '5', limitMode: 'HARD', overageUnitPrice: null }),
    ).toMatchObject({
      mode: 'HARD',
      overageUnitPrice: null,
    });
  });
  it('is unlimited SOFT without plan quota or override', () => {
    expect(effectiveQuota(null, null)).toMatchObject({ limit: null, mode: 'SOFT', source: 'none' });
  });
});

describe('usage figures', () => {
  const period = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-01T00:00:00Z') };
  const quota = effectiveQuota(
    { includedQuantity: '0', limitMode: 'HARD', overageUnitPrice: null, overageTiers: null },
    null,
  );

  it('treats a zero limit as reached', () => {
    expect(percentOf(d(0), d(0))).toBe(100);
    const usage = evaluateUsage({
      meterKey: 'm',
      aggregation: 'SUM',
      used: d(0),
      quota,
      period,
      now: period.start,
      currency: 'usd',
      updatedAt: null,
    });
    expect(usage).toMatchObject({ blocked: true, status: 'EXCEEDED', remaining: d(0) });
  });

  const statusOf = (
    aggregation: 'SUM' | 'LAST' | 'MAX',
    limitMode: 'HARD' | 'SOFT',
    used: string,
    limit: string,
  ) =>
    evaluateUsage({
      meterKey: 'm',
      aggregation,
      used: d(used),
      quota: effectiveQuota(
        { includedQuantity: limit, limitMode, overageUnitPrice: null, overageTiers: null },
        null,
      ),
      period,
      now: period.start,
      currency: 'usd',
      updatedAt: null,
    }).status;

  it('switches status at 75 % and 100 %', () => {
    expect([
      statusOf('SUM', 'HARD', '7499', '10000'),
      statusOf('SUM', 'HARD', '7500', '10000'),
      statusOf('SUM', 'HARD', '9999', '10000'),
      statusOf('SUM', 'HARD', '10000', '10000'),
      statusOf('SUM', 'SOFT', '10001', '10000'),
    ]).toEqual(['OK', 'WARNING', 'WARNING', 'EXCEEDED', 'EXCEEDED']);
  });

  it('reads a HARD gauge at its limit as at limit (WARNING, blocked), not EXCEEDED', () => {
    expect(statusOf('LAST', 'HARD', '3', '3')).toBe('WARNING');
    expect(statusOf('MAX', 'HARD', '3', '3')).toBe('WARNING');
    // Past it (a limit lowered under the gauge) is exceeded; a SOFT gauge at it is, as before.
    expect(statusOf('LAST', 'HARD', '4', '3')).toBe('EXCEEDED');
    expect(statusOf('LAST', 'SOFT', '3', '3')).toBe('EXCEEDED');
  });

  it('checks a LAST meter against the quantity itself', () => {
    const seats = effectiveQuota(
      { includedQuantity: '5', limitMode: 'HARD', overageUnitPrice: null, overageTiers: null },
      null,
    );
    const check = (used: string, quantity: string) =>
      checkQuota({
        meterKey: 'seats',
        unit: 'seat',
        aggregation: 'LAST',
        used: d(used),
        quota: seats,
        quantity: d(quantity),
      }).allowed;
    expect(check('5', '4')).toBe(true);
    expect(check('2', '6')).toBe(false);
  });
});
