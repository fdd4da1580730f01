import type { Aggregation, LimitMode } from '../tables/enums.ts';
import type { OverageTier } from '../tables/plans.ts';

/**
 * The catalog seeded on first start; an ADMIN edits it afterwards. Prices are in cents, unit
 * prices and quantities are exact decimal strings.
 */
export interface SeedMeter {
  key: string;
  name: string;
  unit: string;
  aggregation: Aggregation;
}

interface SeedQuota {
  meterKey: string;
  /** null: unlimited. */
  included: string | null;
  mode: LimitMode;
  overageUnitPrice?: string;
  overageTiers?: OverageTier[];
}

export interface SeedPlan {
  key: string;
  name: string;
  basePriceAmount: number;
  trialDays: number;
  features: string[];
  quotas: SeedQuota[];
}

export const seedMeters: SeedMeter[] = [
  { key: 'api_requests', name: 'API requests', unit: 'request', aggregation: 'SUM' },
  { key: 'storage_gb', name: 'Storage', unit: 'GB', aggregation: 'MAX' },
  { key: 'bandwidth_gb', name: 'Bandwidth', unit: 'GB', aggregation: 'SUM' },
  { key: 'seats', name: 'Seats', unit: 'seat', aggregation: 'LAST' },
];

const hard = (meterKey: string, included: string): SeedQuota => ({
  meterKey,
  included,
  mode: 'HARD',
});
const overage = (meterKey: string, included: string, overageUnitPrice: string): SeedQuota => ({
  meterKey,
  included,
  mode: 'OVERAGE',
  overageUnitPrice,
});

export const seedPlans: SeedPlan[] = [
  {
    key: 'free',
    name: 'Free',
    basePriceAmount: 0,
    trialDays: 0,
    features: [],
    quotas: [
      hard('api_requests', '10000'),
      hard('storage_gb', '1'),
      hard('bandwidth_gb', '5'),
      hard('seats', '3'),
    ],
  },
  {
    key: 'starter',
    name: 'Starter',
    basePriceAmount: 4900,
    trialDays: 14,
    features: ['custom_domains'],
    quotas: [
      overage('api_requests', '100000', '0.0005'),
      overage('storage_gb', '10', '0.12'),
      overage('bandwidth_gb', '25', '0.08'),
      hard('seats', '5'),
    ],
  },
  {
    key: 'growth',
    name: 'Growth',
    basePriceAmount: 19900,
    trialDays: 14,
    features: ['custom_domains', 'sso'],
    quotas: [
      overage('api_requests', '1000000', '0.0003'),
      overage('storage_gb', '100', '0.10'),
      overage('bandwidth_gb', '250', '0.05'),
      hard('seats', '20'),
    ],
  },
  {
    key: 'scale',
    name: 'Scale',
    basePriceAmount: 79900,
    trialDays: 14,
    features: ['custom_domains', 'sso', 'priority_support'],
    quotas: [
      {
        meterKey: 'api_requests',
        included: '10000000',
        mode: 'OVERAGE',
        // The next 40,000,000 past the included 10,000,000, then everything above.
        overageTiers: [
          { upTo: '50000000', unitPrice: '0.0002' },
          { upTo: null, unitPrice: '0.0001' },
        ],
      },
      overage('storage_gb', '1000', '0.08'),
      overage('bandwidth_gb', '2500', '0.04'),
      { meterKey: 'seats', included: null, mode: 'HARD' },
    ],
  },
];
