import DataLoader from 'dataloader';
import { inArray } from 'drizzle-orm';
import type { MeterUsageFigures } from './billing/usage-evaluation.ts';
import type { Database } from './db/client.ts';
import {
  type BillingSubscriptionRow,
  billingSubscriptions,
  type MeterRow,
  meters,
  type OrganizationRow,
  organizations,
  type PlanQuotaRow,
  type PlanRow,
  planQuotas,
  plans,
  type WebhookDeliveryRow,
} from './db/schema.ts';
import { recentDeliveries } from './resolvers/alerts/webhook-endpoints.ts';
import { invoiceLoaders } from './resolvers/invoicing/invoice-queries.ts';
import { loadUsage } from './resolvers/metering/usage-queries.ts';

/**
 * Per-request DataLoaders: each batches the keys a GraphQL operation asks for into one
 * `= ANY(...)` query and answers in the order of the keys, so nested fields never run a query
 * per parent row.
 */
export function createLoaders(db: Database, now: () => Date) {
  return {
    ...invoiceLoaders(db),
    /** Month-to-date usage of every meter, per organization (two queries per batch). */
    usageByOrganizationId: new DataLoader<string, MeterUsageFigures[]>(async (ids) => {
      const usage = await loadUsage(db, ids, now());
      return ids.map((id) => usage.get(id) ?? []);
    }),
    /** The latest 100 deliveries of each endpoint (a field takes its first n). */
    deliveriesByEndpointId: new DataLoader<string, WebhookDeliveryRow[]>(async (ids) => {
      const byEndpoint = await recentDeliveries(db, ids, 100);
      return ids.map((id) => byEndpoint.get(id) ?? []);
    }),
    organizationById: new DataLoader<string, OrganizationRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(organizations)
        .where(inArray(organizations.id, [...ids]));
      return byKey(ids, rows, (row) => row.id);
    }),
    planById: new DataLoader<string, PlanRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(plans)
        .where(inArray(plans.id, [...ids]));
      return byKey(ids, rows, (row) => row.id);
    }),
    quotasByPlanId: new DataLoader<string, PlanQuotaRow[]>(async (planIds) => {
      const rows = await db
        .select()
        .from(planQuotas)
        .where(inArray(planQuotas.planId, [...planIds]))
        .orderBy(planQuotas.meterKey);
      return groupByKey(planIds, rows, (row) => row.planId);
    }),
    meterByKey: new DataLoader<string, MeterRow | null>(async (keys) => {
      const rows = await db
        .select()
        .from(meters)
        .where(inArray(meters.key, [...keys]));
      return byKey(keys, rows, (row) => row.key);
    }),
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

export type Loaders = ReturnType<typeof createLoaders>;

function byKey<K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): (R | null)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key) ?? null);
}

function groupByKey<K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): R[][] {
  const groups = new Map<K, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}
