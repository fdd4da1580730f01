import DataLoader from 'dataloader';
import type { Database } from '../../db/client.ts';
import type { WebhookDeliveryRow } from '../../db/schema.ts';
import { recentDeliveries } from './webhook-endpoint-store.ts';

export function webhookDeliveryLoaders(db: Database) {
  return {
    /** The latest 100 deliveries of each endpoint (a field takes its first n). */
    deliveriesByEndpointId: new DataLoader<string, WebhookDeliveryRow[]>(async (ids) => {
      const byEndpoint = await recentDeliveries(db, ids, 100);
      return ids.map((id) => byEndpoint.get(id) ?? []);
    }),
  };
}
