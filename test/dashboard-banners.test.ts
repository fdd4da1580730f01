import { describe, expect, it } from 'vitest';
import { bannersFor } from '../examples/dashboard/src/banners.ts';
import type {
  MeterBarFragment,
  PlanSummaryFragment,
} from '../examples/dashboard/src/gql/graphql.ts';

function meter(key: string, over: Partial<MeterBarFragment>): MeterBarFragment {
  return {
    meter: { key, name: key, unit: 'unit' },
    used: '0',
    limit: '100',
    pct: 0,
    status: 'OK',
    mode: 'OVERAGE',
    blocked: false,
    onTrack: true,
    projected: '0',
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
      meter('seats', { status: 'EXCEEDED', pct: 100, mode: 'HARD', blocked: true }),
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
});
