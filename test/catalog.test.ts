import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './support/graphql.ts';
import { startTestServer, type TestServer } from './support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const PLANS = `{
  plans {
    key name interval trialDays features active
    basePrice { amount currency formatted }
    quotas { meter { key } included mode overageUnitPrice overageTiers { upTo unitPrice } }
  }
}`;

type Quota = [
  meter: string,
  included: string | null,
  mode: string,
  price: string | null,
  tiers?: { upTo: string | null; unitPrice: string }[],
];

/** The catalog of the foundation issue, written out by hand. */
const expected: Record<
  string,
  { amount: string; formatted: string; trial: number; features: string[]; quotas: Quota[] }
> = {
  free: {
    amount: '0',
    formatted: '$0.00',
    trial: 0,
    features: [],
    quotas: [
      ['api_requests', '10000', 'HARD', null],
      ['storage_gb', '1', 'HARD', null],
      ['bandwidth_gb', '5', 'HARD', null],
      ['seats', '3', 'HARD', null],
    ],
  },
  starter: {
    amount: '4900',
    formatted: '$49.00',
    trial: 14,
    features: ['custom_domains'],
    quotas: [
      ['api_requests', '100000', 'OVERAGE', '0.0005'],
      ['storage_gb', '10', 'OVERAGE', '0.12'],
      ['bandwidth_gb', '25', 'OVERAGE', '0.08'],
      ['seats', '5', 'HARD', null],
    ],
  },
  growth: {
    amount: '19900',
    formatted: '$199.00',
    trial: 14,
    features: ['custom_domains', 'sso'],
    quotas: [
      ['api_requests', '1000000', 'OVERAGE', '0.0003'],
      ['storage_gb', '100', 'OVERAGE', '0.1'],
      ['bandwidth_gb', '250', 'OVERAGE', '0.05'],
      ['seats', '20', 'HARD', null],
    ],
  },
  scale: {
    amount: '79900',
    formatted: '$799.00',
    trial: 14,
    features: ['custom_domains', 'priority_support', 'sso'], // in key order
    quotas: [
      [
        'api_requests',
        '10000000',
        'OVERAGE',
        null,
        [
          { upTo: '50000000', unitPrice: '0.0002' },
          { upTo: null, unitPrice: '0.0001' },
        ],
      ],
      ['storage_gb', '1000', 'OVERAGE', '0.08'],
      ['bandwidth_gb', '2500', 'OVERAGE', '0.04'],
      ['seats', null, 'HARD', null],
    ],
  },
};

describe('the catalog', () => {
  it('is public and returns every plan with exact decimal strings and Money amounts', async () => {
    const response = await gql(server.graphqlUrl, PLANS);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const plans = response.data?.plans as any[];
    expect(plans.map((p) => p.key)).toEqual(['free', 'starter', 'growth', 'scale']);

    for (const plan of plans) {
      const want = expected[plan.key];
      if (!want) throw new Error(`unexpected plan ${plan.key}`);
      expect(plan.basePrice).toEqual({
        amount: want.amount,
        currency: 'usd',
        formatted: want.formatted,
      });
      expect(plan.interval).toBe('MONTH');
      expect(plan.trialDays).toBe(want.trial);
      expect(plan.features).toEqual(want.features);
      expect(plan.active).toBe(true);
      const byMeter = Object.fromEntries(plan.quotas.map((q: any) => [q.meter.key, q]));
      expect(Object.keys(byMeter).sort()).toEqual(want.quotas.map((q) => q[0]).sort());
      for (const [meter, included, mode, price, tiers] of want.quotas) {
        expect(byMeter[meter], `${plan.key}.${meter}`).toEqual({
          meter: { key: meter },
          included,
          mode,
          overageUnitPrice: price,
          overageTiers: tiers ?? null,
        });
      }
    }
  });

  it('answers plan(key) for one plan and null for an unknown key', async () => {
    const response = await gql(
      server.graphqlUrl,
      `{ growth: plan(key: "growth") { key basePrice { formatted } } nope: plan(key: "nope") { key } }`,
    );
    expect(response.data).toEqual({
      growth: { key: 'growth', basePrice: { formatted: '$199.00' } },
      nope: null,
    });
  });

  it('lists the meters with their aggregation and unit', async () => {
    const response = await gql(server.graphqlUrl, '{ meters { key name unit aggregation } }');
    // Other tests sharing a Postgres database may add meters of their own: look at the seeded ones.
    const seeded = ['api_requests', 'bandwidth_gb', 'seats', 'storage_gb'];
    expect(response.data?.meters.filter((m: { key: string }) => seeded.includes(m.key))).toEqual([
      { key: 'api_requests', name: 'API requests', unit: 'request', aggregation: 'SUM' },
      { key: 'bandwidth_gb', name: 'Bandwidth', unit: 'GB', aggregation: 'SUM' },
      { key: 'seats', name: 'Seats', unit: 'seat', aggregation: 'LAST' },
      { key: 'storage_gb', name: 'Storage', unit: 'GB', aggregation: 'MAX' },
    ]);
  });
});
