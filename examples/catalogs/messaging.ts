import { defineCatalog } from '../../src/resolvers/catalog/define-catalog.ts';

/**
 * A messaging product: free with 1,000 messages a month and 100 MB, Plus at $8 a month with
 * 50,000 messages (then $0.001 each) and 10 GB of storage, message history by plan.
 */
export default defineCatalog({
  meters: [
    { key: 'messages', name: 'Messages', unit: 'message', aggregation: 'SUM' },
    { key: 'storage_mb', name: 'Storage', unit: 'MB', aggregation: 'MAX' },
  ],
  features: [{ key: 'history', name: 'Message history', description: 'How far back' }],
  plans: [
    {
      key: 'free',
      name: 'Free',
      prices: [{ interval: 'MONTH', amount: '0' }],
      quotas: [
        { meter: 'messages', included: '1000', mode: 'HARD' },
        { meter: 'storage_mb', included: '100', mode: 'HARD' },
      ],
      entitlements: [{ feature: 'history', value: { days: 7 } }],
    },
    {
      key: 'plus',
      name: 'Plus',
      prices: [{ interval: 'MONTH', amount: '800' }],
      trialDays: 14,
      quotas: [
        { meter: 'messages', included: '50000', mode: 'OVERAGE', overageUnitPrice: '0.001' },
        { meter: 'storage_mb', included: '10240', mode: 'HARD' },
      ],
      entitlements: [{ feature: 'history', value: { days: 365 } }],
    },
  ],
});
