import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { type OrganizationRow, organizations } from '../../db/schema.ts';
import { byKey } from '../common/batch-loading.ts';

export function organizationLoaders(db: Database) {
  return {
    organizationById: new DataLoader<string, OrganizationRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(organizations)
        .where(inArray(organizations.id, [...ids]));
      return byKey(ids, rows, (row) => row.id);
    }),
  };
}
