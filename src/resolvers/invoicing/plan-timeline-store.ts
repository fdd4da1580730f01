import { and, asc, inArray, lt } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { type BillingInterval, planAssignments } from '../../db/schema.ts';

/**
 * Records that the organization's subscription is on `planId`, charged at `interval`, from
 * `at`. Called in the transaction that changes billing_subscriptions.plan_id or interval, so the
 * timeline never disagrees with the subscription.
 */
export async function assignPlan(
  db: Executor,
  organizationId: string,
  planId: string,
  at: Date,
  interval: BillingInterval,
): Promise<void> {
  await db
    .insert(planAssignments)
    .values({ id: newId('pas'), organizationId, planId, interval, effectiveAt: at });
}

/** An organization's plans over time, oldest first. */
export interface PlanTimeline {
  /** When the organization's first plan took effect: the start of its subscription. */
  startedAt: Date;
  /** The plan in force at `at` (the last assigned at or before it); null before the start. */
  planAt(at: Date): string | null;
  /** The interval its base was charged at, at `at`; null before the start. */
  intervalAt(at: Date): BillingInterval | null;
}

/** The plan timelines of organizations, as known before `before`, in one query. */
export async function loadPlanTimelines(
  db: Executor,
  organizationIds: readonly string[],
  before: Date,
): Promise<Map<string, PlanTimeline>> {
  const result = new Map<string, PlanTimeline>();
  if (organizationIds.length === 0) return result;
  const rows = await db
    .select({
      organizationId: planAssignments.organizationId,
      planId: planAssignments.planId,
      interval: planAssignments.interval,
      effectiveAt: planAssignments.effectiveAt,
    })
    .from(planAssignments)
    .where(
      and(
        inArray(planAssignments.organizationId, [...organizationIds]),
        lt(planAssignments.effectiveAt, before),
      ),
    )
    // Same instant: the one recorded last wins (ids sort by creation).
    .orderBy(asc(planAssignments.effectiveAt), asc(planAssignments.id));
  type Entry = { planId: string; interval: BillingInterval; effectiveAt: Date };
  const byOrganization = new Map<string, Entry[]>();
  for (const row of rows) {
    const list = byOrganization.get(row.organizationId);
    if (list) list.push(row);
    else byOrganization.set(row.organizationId, [row]);
  }
  for (const [organizationId, entries] of byOrganization) {
    const entryAt = (at: Date) => {
      let found: Entry | null = null;
      for (const entry of entries) {
        if (entry.effectiveAt > at) break;
        found = entry;
      }
      return found;
    };
    result.set(organizationId, {
      startedAt: (entries[0] as Entry).effectiveAt,
      planAt: (at) => entryAt(at)?.planId ?? null,
      intervalAt: (at) => entryAt(at)?.interval ?? null,
    });
  }
  return result;
}
