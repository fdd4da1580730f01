import { and, count, eq, inArray, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../../db/client.ts';
import { billingSubscriptions, plans } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import { parseInput } from '../../validation.ts';
import { readCatalogSource } from './catalog-formats.ts';
import { featureInput, meterInput, planInput } from './catalog-input.ts';
import { defineFeature, defineMeter } from './meter-definitions.ts';
import { archivePlan, publishPlan } from './plan-publishing.ts';

/**
 * A whole catalog as data (JSON, YAML or a module): the meters, features and plans an operator
 * sells, kept under version control and applied with the same operations as the GraphQL
 * mutations.
 */
export const catalogFileSchema = z.object({
  /** Where editors find the JSON Schema of this file (catalog/catalog.schema.json). */
  $schema: z.string().optional(),
  meters: z.array(meterInput).max(200).default([]),
  features: z.array(featureInput).max(500).default([]),
  plans: z.array(planInput).max(500).default([]),
});
export type CatalogFile = z.infer<typeof catalogFileSchema>;

/** The catalog a fresh database starts with (see catalog/default.json). */
const DEFAULT_CATALOG_PATH = new URL('../../../catalog/default.json', import.meta.url);

/** Reads and checks a catalog file; what is wrong with it comes back as a ValidationError. */
export async function readCatalogFile(path: string | URL): Promise<CatalogFile> {
  const content = await readCatalogSource(path);
  try {
    return parseInput(catalogFileSchema, content);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(
        `catalog file ${String(path)}: ${error.message}`,
        error.fieldErrors,
      );
    }
    throw error;
  }
}

/** What applying a catalog did: the keys defined or published anew, per kind. */
export interface CatalogChanges {
  meters: string[];
  features: string[];
  /** `key vN` of each version published (or edited) by this application. */
  plans: string[];
  /** Plan keys on sale that the catalog no longer lists: no longer sold. */
  archived: string[];
}

/**
 * Applies a catalog, all of it or (in the caller's transaction) none of it: meters and
 * features first, then each plan; a plan on sale that the catalog does not list is archived
 * (its subscribers keep it). Applying the same catalog again changes nothing.
 */
export async function applyCatalog(db: Executor, catalog: CatalogFile): Promise<CatalogChanges> {
  const changes: CatalogChanges = { meters: [], features: [], plans: [], archived: [] };
  for (const [index, meter] of catalog.meters.entries()) {
    const defined = await atEntry(['meters', index], () => defineMeter(db, meter));
    if (defined.changed) changes.meters.push(meter.key);
  }
  for (const [index, feature] of catalog.features.entries()) {
    const defined = await atEntry(['features', index], () => defineFeature(db, feature));
    if (defined.changed) changes.features.push(feature.key);
  }
  for (const [index, plan] of catalog.plans.entries()) {
    const published = await atEntry(['plans', index], () => publishPlan(db, plan));
    if (published.changed) changes.plans.push(`${plan.key} v${published.plan.version}`);
  }
  const listed = new Set(catalog.plans.map((plan) => plan.key));
  const onSale = await db
    .selectDistinct({ key: plans.key })
    .from(plans)
    .where(eq(plans.active, true));
  for (const { key } of onSale.filter((plan) => !listed.has(plan.key))) {
    if ((await archivePlan(db, key)).changed) changes.archived.push(key);
  }
  return changes;
}

/**
 * The operations speak of their GraphQL argument (`input.quotas.0.meter`); in a file, what is
 * wrong is at an entry (`plans.2.quotas.0.meter`).
 */
async function atEntry<T>(entry: [string, number], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ValidationError) || error.fieldErrors.length === 0) throw error;
    const fieldErrors = error.fieldErrors.map((problem) => ({
      path: [
        entry[0],
        String(entry[1]),
        ...problem.path.slice(problem.path[0] === 'input' ? 1 : 0),
      ],
      message: problem.message,
    }));
    throw new ValidationError(
      `Invalid catalog: ${fieldErrors.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ')}`,
      fieldErrors,
    );
  }
}

/** A dry run: what applying the catalog would change, and how many subscribers each plan has. */
export interface CatalogDiff extends CatalogChanges {
  /** Live subscriptions on any version of each plan key published anew or archived. */
  subscribers: Record<string, number>;
}

class DryRun extends Error {}

/** Applies the catalog in a transaction that is then rolled back, so the diff is exact. */
export async function diffCatalog(db: Database, catalog: CatalogFile): Promise<CatalogDiff> {
  let diff: CatalogDiff | null = null;
  try {
    await db.transaction(async (tx) => {
      const changes = await applyCatalog(tx, catalog);
      const keys = [
        ...new Set([
          ...changes.plans.map((plan) => plan.split(' ')[0] ?? plan),
          ...changes.archived,
        ]),
      ];
      diff = { ...changes, subscribers: await subscribersOf(tx, keys) };
      throw new DryRun();
    });
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }
  if (!diff) throw new Error('the dry run produced no diff');
  return diff;
}

async function subscribersOf(db: Executor, keys: string[]): Promise<Record<string, number>> {
  if (keys.length === 0) return {};
  const rows = await db
    .select({ key: plans.key, n: count() })
    .from(billingSubscriptions)
    .innerJoin(plans, eq(plans.id, billingSubscriptions.planId))
    .where(and(inArray(plans.key, keys), ne(billingSubscriptions.status, 'CANCELED')))
    .groupBy(plans.key);
  return Object.fromEntries(keys.map((key) => [key, rows.find((row) => row.key === key)?.n ?? 0]));
}

/**
 * A fresh database's catalog (CATALOG_FILE, else the default one), applied once: only to a
 * database without any plan, so that an operator's own catalog is never overwritten. Answers
 * whether it was applied.
 */
export async function seedCatalog(db: Executor, file: string | undefined): Promise<boolean> {
  const [planCount] = await db.select({ n: count() }).from(plans);
  if ((planCount?.n ?? 0) > 0) return false;
  await applyCatalog(db, await readCatalogFile(file ?? DEFAULT_CATALOG_PATH));
  return true;
}
