import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { type BillingSubscriptionRow, billingSubscriptions } from '../../db/schema.ts';
import { byKey } from '../common/batch-loading.ts';

export function subscriptionLoaders(db: Database) {
  return {
    subscriptionByOrganizationId: new DataLoader<string, BillingSubscriptionRow | null>(
      async (organizationIds) => {
        const rows = await db
          .select()
          .from(billingSubscriptions)
          .where(inArray(billingSubscriptions.organizationId, [...organizationIds]));
        return byKey(organizationIds, rows, (row) => row.organizationId);
      },
    ),
  };
}
