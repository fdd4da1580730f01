import { boolean, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { instant, timestamps } from '../columns.ts';
import { organizations } from './organizations.ts';
import { plans } from './plans.ts';

/** Something a plan grants (sso, custom_domains, max_projects): on/off or with a value. */
export const features = pgTable('features', {
  /** Stable key used by plans and feature checks, e.g. custom_domains. */
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  ...timestamps,
});

/** What one plan version grants of a feature; `value` is null for an on/off feature. */
export const planEntitlements = pgTable(
  'plan_entitlements',
  {
    planId: text('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    featureKey: text('feature_key')
      .notNull()
      .references(() => features.key),
    value: jsonb('value').$type<unknown>(),
  },
  (t) => [primaryKey({ columns: [t.planId, t.featureKey] })],
);

export type FeatureRow = typeof features.$inferSelect;
export type PlanEntitlementRow = typeof planEntitlements.$inferSelect;

/**
 * An organization's own grant or withdrawal of a feature, set by an ADMIN (a trial of SSO, a
 * deal, a restriction): it replaces what the plan says until it lapses at `expiresAt`.
 */
export const featureOverrides = pgTable(
  'feature_overrides',
  {
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    featureKey: text('feature_key')
      .notNull()
      .references(() => features.key),
    enabled: boolean('enabled').notNull(),
    value: jsonb('value').$type<unknown>(),
    /** When the override lapses and the plan's grant applies again; null: it does not. */
    expiresAt: instant('expires_at'),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.featureKey] })],
);

export type FeatureOverrideRow = typeof featureOverrides.$inferSelect;
