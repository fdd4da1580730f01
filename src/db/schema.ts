export * from './tables/api-keys.ts';
export * from './tables/billing-subscriptions.ts';
export * from './tables/enums.ts';
export * from './tables/meters.ts';
export * from './tables/organizations.ts';
export * from './tables/plans.ts';
export * from './tables/quota-overrides.ts';
export * from './tables/usage.ts';
