import { jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamps } from '../columns.ts';
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
