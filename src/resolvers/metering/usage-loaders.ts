import DataLoader from 'dataloader';
import type { MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { Database } from '../../db/client.ts';
import { loadUsage } from './usage-figures-store.ts';

export function usageLoaders(db: Database, now: () => Date) {
  return {
    /** Month-to-date usage of every meter, per organization (two queries per batch). */
    usageByOrganizationId: new DataLoader<string, MeterUsageFigures[]>(async (ids) => {
      const usage = await loadUsage(db, ids, now());
      return ids.map((id) => usage.get(id) ?? []);
    }),
  };
}
