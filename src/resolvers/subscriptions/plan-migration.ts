import { and, asc, eq, gt, ne } from 'drizzle-orm';
import { z } from 'zod';
import { addMoney, type Money, money } from '../../billing/money.ts';
import type { Period } from '../../billing/period.ts';
import type { RequestContext } from '../../context.ts';
import type { Executor } from '../../db/client.ts';
import {
  type BillingSubscriptionRow,
  billingSubscriptions,
  type PlanRow,
} from '../../db/schema.ts';
import { BillingProviderError, NotFoundError, ValidationError } from '../../errors.ts';
import { findPlan } from '../catalog/catalog-queries.ts';
import { ensureStripePrices } from '../catalog/stripe-prices.ts';
import { draftInvoices } from '../invoicing/invoice-drafts.ts';
import { monthBefore } from '../invoicing/invoice-run.ts';
import { monthTotalsOf } from '../metering/limit-changes.ts';
import { loadOrganizationTerms } from '../metering/meter-terms-store.ts';
import { hardLimitWarnings } from './limit-warnings.ts';
import { refuseOtherCurrency } from './organization-currency.ts';
import { changePlan } from './plan-changes.ts';

export const planMigrationInput = z
  .object({
    planKey: z.string().min(1).max(64),
    fromVersion: z.number().int().positive(),
    toVersion: z.number().int().positive(),
  })
  .refine((input) => input.fromVersion !== input.toVersion, {
    path: ['toVersion'],
    message: 'must differ from fromVersion',
  });
export type PlanMigrationInput = z.infer<typeof planMigrationInput>;

/** One subscriber of the old version: the last complete month priced on both versions. */
export interface PlanMigrationRow {
  organizationId: string;
  currentTotal: Money;
  newTotal: Money;
  delta: Money;
  warnings: string[];
}

export interface PlanMigrationPreview {
  planKey: string;
  fromVersion: number;
  toVersion: number;
  basedOnPeriod: string;
  organizations: number;
  currentTotal: Money;
  newTotal: Money;
  rows: PlanMigrationRow[];
}

/** A subscriber a migration left where it was, and why. */
export interface NotMigrated {
  organizationId: string;
  reason: string;
}

/** Subscribers are read, priced and moved this many at a time (a fixed number of queries each). */
const BATCH = 200;

/** The two versions, which must exist and share a currency (a subscriber never changes currency). */
async function migrationVersions(
  ctx: RequestContext,
  input: PlanMigrationInput,
): Promise<{ from: PlanRow; to: PlanRow }> {
  const [from, to] = await Promise.all([
    findPlan(ctx, input.planKey, input.fromVersion),
    findPlan(ctx, input.planKey, input.toVersion),
  ]);
  if (!from) throw new NotFoundError(`Plan "${input.planKey}" version ${input.fromVersion}`);
  if (!to) throw new NotFoundError(`Plan "${input.planKey}" version ${input.toVersion}`);
  // Its subscribers pay in the old version's currency.
  refuseOtherCurrency(from.currency, to, ['toVersion']);
  return { from, to };
}

/** The next subscribers of a plan version after `after` (organization id order), canceled ones aside. */
function subscribersOf(
  db: Executor,
  planId: string,
  after: string | null,
): Promise<BillingSubscriptionRow[]> {
  return db
    .select()
    .from(billingSubscriptions)
    .where(
      and(
        eq(billingSubscriptions.planId, planId),
        ne(billingSubscriptions.status, 'CANCELED'),
        after === null ? undefined : gt(billingSubscriptions.organizationId, after),
      ),
    )
    .orderBy(asc(billingSubscriptions.organizationId))
    .limit(BATCH);
}

/** Every batch of a version's subscribers, once each: keyset pages, so the loop ends. */
async function* subscriberBatches(db: Executor, planId: string) {
  let after: string | null = null;
  for (;;) {
    const batch = await subscribersOf(db, planId, after);
    if (batch.length === 0) return;
    yield batch;
    after = batch[batch.length - 1]?.organizationId ?? null;
  }
}

/**
 * What moving every subscriber of `fromVersion` to `toVersion` would cost: the last complete
 * month's usage priced on both versions by the invoice calculation, base price included
 * (whether Stripe or the ledger collects it), with each organization's overrides. Writes nothing
 * and calls no one.
 */
export async function previewPlanMigration(
  ctx: RequestContext,
  input: PlanMigrationInput,
): Promise<PlanMigrationPreview> {
  const { from, to } = await migrationVersions(ctx, input);
  const month = monthBefore(ctx.now());
  const rows: PlanMigrationRow[] = [];
  for await (const batch of subscriberBatches(ctx.db, from.id)) {
    rows.push(...(await priceBatch(ctx.db, batch, month, { from, to })));
  }
  const sum = (pick: (row: PlanMigrationRow) => Money) =>
    rows.map(pick).reduce(addMoney, money(0, from.currency));
  return {
    planKey: from.key,
    fromVersion: from.version,
    toVersion: to.version,
    basedOnPeriod: month.start.toISOString().slice(0, 7),
    organizations: rows.length,
    currentTotal: sum((row) => row.currentTotal),
    newTotal: sum((row) => row.newTotal),
    rows,
  };
}

async function priceBatch(
  db: Executor,
  batch: BillingSubscriptionRow[],
  month: Period,
  versions: { from: PlanRow; to: PlanRow },
): Promise<PlanMigrationRow[]> {
  const ids = batch.map((s) => s.organizationId);
  const on = (plan: PlanRow) => new Map(ids.map((id) => [id, plan.id]));
  const options = { billedByStripe: false };
  const [current, next, terms, used] = await Promise.all([
    draftInvoices(db, ids, month, { ...options, onPlan: on(versions.from) }),
    draftInvoices(db, ids, month, { ...options, onPlan: on(versions.to) }),
    loadOrganizationTerms(db, ids, { planId: versions.to.id }),
    monthTotalsOf(db, ids, month.start),
  ]);
  const period = month.start.toISOString().slice(0, 7);
  return ids.map((organizationId) => {
    const was = current.get(organizationId)?.computed.total;
    const would = next.get(organizationId)?.computed.total;
    // Subscribed after that month: there is no usage to price, only the versions' base prices.
    const currentTotal = was ?? money(versions.from.basePriceAmount, versions.from.currency);
    const newTotal = would ?? money(versions.to.basePriceAmount, versions.to.currency);
    const orgTerms = terms.get(organizationId);
    const warnings = orgTerms
      ? hardLimitWarnings(
          orgTerms,
          used.get(organizationId) ?? new Map(),
          versions.to,
          `in ${period}`,
        )
      : [];
    if (!was || !would) warnings.push(`no usage in ${period} to price: the totals are base prices`);
    return {
      organizationId,
      currentTotal,
      newTotal,
      delta: money(newTotal.amount - currentTotal.amount, newTotal.currency),
      warnings,
    };
  });
}

/**
 * Moves every subscriber of `fromVersion` to `toVersion` through changePlan (at the period end,
 * or at once with the usual proration; with Stripe, in Stripe first), in batches. Exactly once:
 * a moved subscriber is no longer on `fromVersion`, and one already scheduled for `toVersion` is
 * not scheduled again, so a rerun moves none twice. A subscriber with another change pending
 * (a downgrade, a cancellation) is left alone: the migration never overrides a customer's own
 * decision. One subscriber that fails is reported and the others go on.
 */
export async function migratePlanSubscribers(
  ctx: RequestContext,
  input: PlanMigrationInput & { timing: 'IMMEDIATELY' | 'PERIOD_END' },
): Promise<{ migrated: number; notMigrated: NotMigrated[] }> {
  const { from, to } = await migrationVersions(ctx, input);
  if (!to.active) {
    throw ValidationError.forField(['planKey'], `the plan "${from.key}" is no longer sold`);
  }
  // With Stripe, the target's prices first, once: a Stripe outage then moves nobody, and each
  // subscriber's change finds its price made.
  if (ctx.stripe) await ensureStripePrices(ctx, ctx.stripe, to);
  let migrated = 0;
  const notMigrated: NotMigrated[] = [];
  for await (const batch of subscriberBatches(ctx.db, from.id)) {
    for (const subscription of batch) {
      const { organizationId } = subscription;
      const scheduled = subscription.pendingPlanId === to.id;
      if (scheduled && input.timing === 'PERIOD_END') continue;
      const otherChange = pendingChangeOf(subscription, to);
      if (otherChange) {
        notMigrated.push({ organizationId, reason: otherChange });
        continue;
      }
      try {
        await changePlan(ctx, organizationId, { planKey: to.key, timing: input.timing }, to);
        migrated++;
      } catch (error) {
        notMigrated.push({ organizationId, reason: reasonOf(error) });
        ctx.log.warn({ organizationId, err: error }, 'plan migration: subscriber not moved');
      }
    }
  }
  ctx.log.info(
    { plan: to.key, from: from.version, to: to.version, migrated, notMigrated: notMigrated.length },
    'plan subscribers migrated',
  );
  return { migrated, notMigrated };
}

/** A change the customer (or an operator) already asked for, which a migration must not undo. */
function pendingChangeOf(subscription: BillingSubscriptionRow, to: PlanRow): string | null {
  if (subscription.cancelAtPeriodEnd) return 'cancels at the end of its period';
  if (subscription.pendingPlanId && subscription.pendingPlanId !== to.id) {
    return 'has another plan change scheduled for the end of its period';
  }
  return null;
}

/** The typed errors say what happened; anything else stays in the log. */
function reasonOf(error: unknown): string {
  const expected = [ValidationError, NotFoundError, BillingProviderError];
  return expected.some((type) => error instanceof type)
    ? (error as Error).message
    : 'an unexpected error (see the server log)';
}
