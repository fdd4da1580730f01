import { defineCatalog } from '../../src/resolvers/catalog/define-catalog.ts';

/**
 * A chat product: Free, Plus at $8 a month or $80 a year, Pro at $25 or $250, Business at $75
 * or $750. Messages are metered (overage past each tier's allowance), storage is capped, and
 * message history, custom emoji and SSO are features by tier.
 */
const quotas = (messages: string, overage: string | null, storageMb: string) => [
  overage === null
    ? { meter: 'messages', included: messages, mode: 'HARD' as const }
    : {
        meter: 'messages',
        included: messages,
        mode: 'OVERAGE' as const,
        overageUnitPrice: overage,
      },
  { meter: 'storage_mb', included: storageMb, mode: 'HARD' as const },
];

const prices = (monthly: string, yearly: string) => [
  { interval: 'MONTH' as const, amount: monthly },
  { interval: 'YEAR' as const, amount: yearly },
];

export default defineCatalog({
  meters: [
    { key: 'messages', name: 'Messages', unit: 'message', aggregation: 'SUM' },
    { key: 'storage_mb', name: 'Storage', unit: 'MB', aggregation: 'MAX' },
  ],
  features: [
    { key: 'history', name: 'Message history', description: 'How far back' },
    { key: 'custom_emoji', name: 'Custom emoji' },
    { key: 'sso', name: 'Single sign-on' },
  ],
  plans: [
    {
      key: 'free',
      name: 'Free',
      prices: [{ interval: 'MONTH', amount: '0' }],
      quotas: quotas('1000', null, '100'),
      entitlements: [{ feature: 'history', value: { days: 7 } }],
    },
    {
      key: 'plus',
      name: 'Plus',
      prices: prices('800', '8000'),
      trialDays: 14,
      quotas: quotas('50000', '0.001', '10240'),
      entitlements: [{ feature: 'history', value: { days: 365 } }, { feature: 'custom_emoji' }],
    },
    {
      key: 'pro',
      name: 'Pro',
      prices: prices('2500', '25000'),
      trialDays: 14,
      quotas: quotas('250000', '0.0008', '102400'),
      entitlements: [{ feature: 'history', value: { days: null } }, { feature: 'custom_emoji' }],
    },
    {
      key: 'business',
      name: 'Business',
      prices: prices('7500', '75000'),
      quotas: quotas('1000000', '0.0005', '1048576'),
      entitlements: [
        { feature: 'history', value: { days: null } },
        { feature: 'custom_emoji' },
        { feature: 'sso' },
      ],
    },
  ],
});
