import { and, eq, inArray, sql } from 'drizzle-orm';
import { formatDecimal } from '../../billing/decimal.ts';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  features,
  meters,
  type PlanRow,
  planEntitlements,
  planPrices,
  planQuotas,
  plans,
} from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import type { PlanInput } from './catalog-input.ts';
import { latestPlanVersion } from './plan-store.ts';

export interface Published {
  plan: PlanRow;
  /** False when nothing was published or edited: the input equals the latest version. */
  changed: boolean;
}

/**
 * Publishes a plan: version 1 of a new key, or the next version of an existing one when what it
 * charges or grants differs from the latest (prices, currency, trial days, quotas, overage,
 * entitlements). Versions never change afterwards, so subscribers keep what they were sold; a new
 * name, description or privacy (which change nothing anyone pays) is written on the latest version. Publishing an archived key sells it
 * again. Runs in the caller's transaction, serialised per key.
 */
export async function publishPlan(db: Executor, input: PlanInput): Promise<Published> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`plan:${input.key}`}))`);
  await checkReferences(db, input);
  const latest = await latestPlanVersion(db, input.key);
  if (latest && (await termsOf(db, latest)) === termsOfInput(input)) {
    const edited =
      latest.name !== input.name ||
      latest.description !== input.description ||
      latest.private !== input.private ||
      !latest.active;
    if (!edited) return { plan: latest, changed: false };
    const [plan] = await db
      .update(plans)
      .set({
        name: input.name,
        description: input.description,
        private: input.private,
        active: true,
      })
      .where(eq(plans.id, latest.id))
      .returning();
    if (!plan) throw new Error(`plan ${latest.id} vanished`);
    return { plan, changed: true };
  }
  // The default interval is the monthly one when there is one: its price is the plan's basePrice.
  const base =
    input.prices.find((price) => price.interval === 'MONTH') ??
    (input.prices[0] as PlanInput['prices'][number]);
  const [plan] = await db
    .insert(plans)
    .values({
      id: newId('plan'),
      key: input.key,
      version: (latest?.version ?? 0) + 1,
      name: input.name,
      description: input.description,
      basePriceAmount: base.amount,
      currency: input.currency,
      interval: base.interval,
      trialDays: input.trialDays,
      private: input.private,
    })
    .returning();
  if (!plan) throw new Error(`plan ${input.key} was not published`);
  await insertTerms(db, plan.id, input);
  return { plan, changed: true };
}

/** A new version's prices, quotas and entitlements, as the input gives them. */
async function insertTerms(db: Executor, planId: string, input: PlanInput): Promise<void> {
  await db.insert(planPrices).values(
    input.prices.map((price) => ({
      planId: planId,
      interval: price.interval,
      amount: price.amount,
    })),
  );
  if (input.quotas.length > 0) {
    await db.insert(planQuotas).values(
      input.quotas.map((quota) => ({
        planId: planId,
        meterKey: quota.meter,
        includedQuantity: quota.included,
        limitMode: quota.mode,
        overageUnitPrice: quota.overageUnitPrice,
        overageTiers: quota.overageTiers
          ? quota.overageTiers.map((tier) => ({
              upTo: tier.upTo,
              unitPrice: tier.unitPrice ?? '0',
            }))
          : null,
      })),
    );
  }
  if (input.entitlements.length > 0) {
    await db.insert(planEntitlements).values(
      input.entitlements.map((entitlement) => ({
        planId: planId,
        featureKey: entitlement.feature,
        value: entitlement.value,
      })),
    );
  }
}

/** Stops selling every version of the plan; its subscribers keep theirs. */
export async function archivePlan(db: Executor, key: string): Promise<Published> {
  const latest = await latestPlanVersion(db, key);
  if (!latest) throw new NotFoundError('Plan');
  const archived = await db
    .update(plans)
    .set({ active: false })
    .where(and(eq(plans.key, key), eq(plans.active, true)))
    .returning({ id: plans.id });
  return { plan: { ...latest, active: false }, changed: archived.length > 0 };
}

/** Every meter of a quota and every feature of an entitlement must be defined already. */
async function checkReferences(db: Executor, input: PlanInput): Promise<void> {
  const meterKeys = input.quotas.map((quota) => quota.meter);
  const featureKeys = input.entitlements.map((entitlement) => entitlement.feature);
  const knownMeters = new Set(
    meterKeys.length === 0
      ? []
      : (
          await db.select({ key: meters.key }).from(meters).where(inArray(meters.key, meterKeys))
        ).map((row) => row.key),
  );
  const knownFeatures = new Set(
    featureKeys.length === 0
      ? []
      : (
          await db
            .select({ key: features.key })
            .from(features)
            .where(inArray(features.key, featureKeys))
        ).map((row) => row.key),
  );
  const problems = [
    ...meterKeys.flatMap((key, index) =>
      knownMeters.has(key)
        ? []
        : [
            {
              path: ['input', 'quotas', String(index), 'meter'],
              message: `unknown meter "${key}"; define it with createMeter`,
            },
          ],
    ),
    ...featureKeys.flatMap((key, index) =>
      knownFeatures.has(key)
        ? []
        : [
            {
              path: ['input', 'entitlements', String(index), 'feature'],
              message: `unknown feature "${key}"; define it with createFeature`,
            },
          ],
    ),
  ];
  if (problems.length > 0) {
    throw new ValidationError(
      `Invalid input: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
}

/**
 * What a version charges and grants, as one comparable text: equal texts mean that publishing
 * would change nothing a subscriber pays or may use.
 */
interface Terms {
  currency: string;
  prices: [string, string][];
  trialDays: number;
  quotas: [string, string | null, string, string | null, [string | null, string][] | null][];
  entitlements: [string, string][];
}

function termsText(terms: Terms): string {
  terms.quotas.sort((a, b) => a[0].localeCompare(b[0]));
  terms.entitlements.sort((a, b) => a[0].localeCompare(b[0]));
  terms.prices.sort((a, b) => a[0].localeCompare(b[0]));
  return JSON.stringify(terms);
}

const decimal = (value: string | null) => (value === null ? null : formatDecimal(value));

function termsOfInput(input: PlanInput): string {
  return termsText({
    currency: input.currency,
    prices: input.prices.map((price) => [price.interval, String(price.amount)]),
    trialDays: input.trialDays,
    quotas: input.quotas.map((quota) => [
      quota.meter,
      decimal(quota.included),
      quota.mode,
      decimal(quota.overageUnitPrice),
      quota.overageTiers
        ? quota.overageTiers.map((tier) => [
            decimal(tier.upTo),
            formatDecimal(tier.unitPrice ?? '0'),
          ])
        : null,
    ]),
    entitlements: input.entitlements.map((entitlement) => [
      entitlement.feature,
      canonicalJson(entitlement.value),
    ]),
  });
}

async function termsOf(db: Executor, plan: PlanRow): Promise<string> {
  const prices = await db.select().from(planPrices).where(eq(planPrices.planId, plan.id));
  const quotas = await db.select().from(planQuotas).where(eq(planQuotas.planId, plan.id));
  const entitlements = await db
    .select()
    .from(planEntitlements)
    .where(eq(planEntitlements.planId, plan.id));
  return termsText({
    currency: plan.currency,
    prices: prices.map((price) => [price.interval, String(price.amount)]),
    trialDays: plan.trialDays,
    quotas: quotas.map((quota) => [
      quota.meterKey,
      decimal(quota.includedQuantity),
      quota.limitMode,
      decimal(quota.overageUnitPrice),
      quota.overageTiers
        ? quota.overageTiers.map((tier) => [decimal(tier.upTo), formatDecimal(tier.unitPrice)])
        : null,
    ]),
    entitlements: entitlements.map((entitlement) => [
      entitlement.featureKey,
      canonicalJson(entitlement.value ?? null),
    ]),
  });
}

/** JSON with object keys sorted, so that equal values have equal texts (jsonb reorders keys). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : inner,
  );
}
