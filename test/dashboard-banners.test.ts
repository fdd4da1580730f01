import { describe, expect, it } from 'vitest';
import { bannersFor } from '../examples/dashboard/src/banners.ts';
import type {
  MeterBarFragment,
  PlanSummaryFragment,
} from '../examples/dashboard/src/gql/graphql.ts';
import { projectionOf } from '../examples/dashboard/src/meters.ts';

function meter(key: string, over: Partial<MeterBarFragment>): MeterBarFragment {
  return {
    meter: { key, name: key, unit: 'unit', aggregation: 'SUM' },
    used: '0',
    limit: '100',
    pct: 0,
    status: 'OK',
    mode: 'OVERAGE',
    blocked: false,
    projected: '0',
    periodStart: '2026-11-01T00:00:00.000Z',
    periodEnd: '2026-12-01T00:00:00.000Z',
    overageCost: { formatted: '$0.00' },
    ...over,
  };
}

const subscription = (status: PlanSummaryFragment['status']): PlanSummaryFragment => ({
  status,
  plan: { key: 'starter', name: 'Starter', basePrice: { formatted: '$49.00' } },
  pendingPlan: null,
  currentPeriodEnd: '2026-12-01T00:00:00.000Z',
  cancelAtPeriodEnd: false,
});

describe("the dashboard's banners", () => {
  it('put a past-due subscription first, then meters at their limit, then meters past 75 %', () => {
    const banners = bannersFor(subscription('PAST_DUE'), [
      meter('storage_gb', { status: 'WARNING', pct: 80 }),
      // Above a HARD limit that was lowered after the seats were taken.
      meter('seats', {
        meter: { key: 'seats', name: 'seats', unit: 'seat', aggregation: 'LAST' },
        used: '7',
        limit: '5',
        status: 'EXCEEDED',
        pct: 140,
        mode: 'HARD',
        blocked: true,
      }),
      meter('api_requests', { status: 'OK', pct: 10 }),
    ]);
    expect(banners.map((b) => [b.level, b.subject])).toEqual([
      ['PAST_DUE', 'subscription'],
      ['EXCEEDED', 'seats'],
      ['WARNING', 'storage_gb'],
    ]);
    expect(banners[1]?.text).toContain('Further usage is refused');
  });

  it('say what an overage meter past its limit costs, and nothing when all is well', () => {
    const [exceeded] = bannersFor(subscription('ACTIVE'), [
      meter('api_requests', {
        status: 'EXCEEDED',
        pct: 110,
        overageCost: { formatted: '$5.00' },
      }),
    ]);
    expect(exceeded?.text).toBe(
      'api_requests: 110 % of the limit used. Usage above the limit is billed as overage ($5.00 so far).',
    );
    expect(bannersFor(subscription('ACTIVE'), [meter('api_requests', {})])).toEqual([]);
  });

  it('say "at limit" for a HARD gauge exactly at its limit, whatever status the server sends', () => {
    const seats = (over: Partial<MeterBarFragment>) =>
      meter('seats', {
        meter: { key: 'seats', name: 'Seats', unit: 'seat', aggregation: 'LAST' },
        used: '5',
        limit: '5.000',
        pct: 100,
        mode: 'HARD',
        blocked: true,
        ...over,
      });
    for (const status of ['EXCEEDED', 'WARNING', 'OK'] as const) {
      expect(bannersFor(subscription('ACTIVE'), [seats({ status })])).toEqual([
        {
          level: 'AT_LIMIT',
          subject: 'seats',
          text: 'Seats: at the limit. Further usage is refused until the next period or an upgrade.',
        },
      ]);
    }
    // A SOFT gauge at its limit, and a HARD counter that has used up its quota, are EXCEEDED
    // as the server says.
    const exceeded = bannersFor(subscription('ACTIVE'), [
      seats({ status: 'EXCEEDED', mode: 'SOFT', blocked: false }),
      meter('api_requests', {
        used: '10000',
        limit: '10000',
        pct: 100,
        status: 'EXCEEDED',
        mode: 'HARD',
        blocked: true,
      }),
    ]);
    expect(exceeded.map((b) => [b.level, b.subject])).toEqual([
      ['EXCEEDED', 'seats'],
      ['EXCEEDED', 'api_requests'],
    ]);
    // Past EXCEEDED, before WARNING.
    const order = bannersFor(subscription('ACTIVE'), [
      meter('storage_gb', { status: 'WARNING', pct: 80 }),
      seats({ status: 'EXCEEDED' }),
      meter('api_requests', { status: 'EXCEEDED', pct: 120 }),
    ]);
    expect(order.map((b) => b.level)).toEqual(['EXCEEDED', 'AT_LIMIT', 'WARNING']);
  });
});

describe("the dashboard's projections", () => {
  const day = 86_400_000;
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  const counter = (over: Partial<MeterBarFragment> = {}) =>
    meter('api_requests', { used: '4700', projected: '338400.1234', ...over });

  it('wait for a tenth of the period, and at least a day', () => {
    // The day one: 10 hours into November, 1.4 % of it.
    expect(projectionOf(counter(), start + 10 * 3_600_000)).toEqual({
      kind: 'too-early',
      from: new Date(start + 3 * day),
    });
    expect(projectionOf(counter(), start + 3 * day - 1).kind).toBe('too-early');
    expect(projectionOf(counter(), start + 3 * day)).toEqual({
      kind: 'shown',
      units: 338_400n,
      over: true,
    });
    // A first period of two days, from the organization's start: a day, not 4.8 hours.
    const short = counter({
      periodStart: '2026-11-29T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
    });
    const shortStart = Date.parse(short.periodStart);
    expect(projectionOf(short, shortStart + day - 1).kind).toBe('too-early');
    expect(projectionOf(short, shortStart + day).kind).toBe('shown');
  });

  it('round counters down to whole units and judge that figure; never project gauges', () => {
    const later = start + 10 * day;
    expect(projectionOf(counter({ projected: '100.9' }), later)).toEqual({
      kind: 'shown',
      units: 100n,
      over: false,
    });
    expect(projectionOf(counter({ projected: '101' }), later)).toMatchObject({ over: true });
    expect(
      projectionOf(counter({ projected: '12345678901234567890.5', limit: null }), later),
    ).toEqual({
      kind: 'shown',
      units: 12_345_678_901_234_567_890n,
      over: null,
    });
    for (const aggregation of ['MAX', 'LAST'] as const) {
      const gauge = counter({
        meter: { key: 'storage_gb', name: 'Storage', unit: 'GB', aggregation },
      });
      expect(projectionOf(gauge, later)).toEqual({ kind: 'none' });
    }
  });
});
