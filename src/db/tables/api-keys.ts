import { sql } from 'drizzle-orm';
import { check, index, pgTable, text } from 'drizzle-orm/pg-core';
import { instant, timestamps } from '../columns.ts';
import { role } from './enums.ts';
import { organizations } from './organizations.ts';

/**
 * API keys. Only a SHA-256 hash of the secret is kept; the secret is shown once at creation.
 * ADMIN keys belong to the platform operator and to no organization; every other role belongs
 * to exactly one organization.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id').references(() => organizations.id, {
      onDelete: 'cascade',
    }),
    role: role('role').notNull(),
    /** Hex SHA-256 of the secret. */
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the secret, to tell keys apart in lists and logs. */
    displayPrefix: text('display_prefix').notNull(),
    revokedAt: instant('revoked_at'),
    ...timestamps,
  },
  (t) => [
    index('api_keys_organization_idx').on(t.organizationId),
    check(
      'api_keys_organization_by_role',
      sql`(${t.role} = 'ADMIN') = (${t.organizationId} IS NULL)`,
    ),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
