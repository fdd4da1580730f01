import type { Database } from './db/client.ts';
import { webhookDeliveryLoaders } from './resolvers/alerts/webhook-delivery-loaders.ts';
import { catalogLoaders } from './resolvers/catalog/catalog-loaders.ts';
import { invoiceLoaders } from './resolvers/invoicing/invoice-loaders.ts';
import { usageLoaders } from './resolvers/metering/usage-loaders.ts';
import { organizationLoaders } from './resolvers/organizations/organization-loaders.ts';
import { subscriptionLoaders } from './resolvers/subscriptions/subscription-loaders.ts';

/**
 * Per-request DataLoaders of every domain: each batches the keys a GraphQL operation asks for
 * into one `= ANY(...)` query and answers in the order of the keys, so nested fields never run a
 * query per parent row.
 */
export function createLoaders(db: Database, now: () => Date) {
  return {
    ...catalogLoaders(db),
    ...organizationLoaders(db),
    ...subscriptionLoaders(db),
    ...usageLoaders(db, now),
    ...webhookDeliveryLoaders(db),
    ...invoiceLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
