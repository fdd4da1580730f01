import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { type FeatureRow, features, type MeterRow, meters, usageEvents } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';
import type { FeatureInput, MeterInput } from './catalog-input.ts';

/**
 * Defines a meter, or redefines one: applying the same definition again changes nothing (a
 * catalog file is applied any number of times). Its name and unit may change; its aggregation
 * only while no event was recorded, since it decides how those events add up.
 */
export async function defineMeter(
  db: Executor,
  input: MeterInput,
): Promise<{ meter: MeterRow; changed: boolean }> {
  const [existing] = await db.select().from(meters).where(eq(meters.key, input.key));
  if (!existing) {
    const [created] = await db.insert(meters).values(input).returning();
    if (!created) throw new Error(`meter ${input.key} was not created`);
    return { meter: created, changed: true };
  }
  if (existing.aggregation !== input.aggregation && (await hasEvents(db, input.key))) {
    throw ValidationError.forField(
      ['input', 'aggregation'],
      `meter "${input.key}" already has usage events aggregated as ${existing.aggregation}: its aggregation cannot change (define a new meter instead)`,
    );
  }
  if (
    existing.name === input.name &&
    existing.unit === input.unit &&
    existing.aggregation === input.aggregation
  ) {
    return { meter: existing, changed: false };
  }
  const [updated] = await db
    .update(meters)
    .set({ name: input.name, unit: input.unit, aggregation: input.aggregation })
    .where(eq(meters.key, input.key))
    .returning();
  if (!updated) throw new Error(`meter ${input.key} vanished`);
  return { meter: updated, changed: true };
}

async function hasEvents(db: Executor, meterKey: string): Promise<boolean> {
  const [event] = await db
    .select({ id: usageEvents.id })
    .from(usageEvents)
    .where(eq(usageEvents.meterKey, meterKey))
    .limit(1);
  return event !== undefined;
}

/** Defines a feature, or renames or redescribes it; the same definition again changes nothing. */
export async function defineFeature(
  db: Executor,
  input: FeatureInput,
): Promise<{ feature: FeatureRow; changed: boolean }> {
  const [existing] = await db.select().from(features).where(eq(features.key, input.key));
  if (existing && existing.name === input.name && existing.description === input.description) {
    return { feature: existing, changed: false };
  }
  const [feature] = await db
    .insert(features)
    .values(input)
    .onConflictDoUpdate({
      target: features.key,
      set: { name: input.name, description: input.description },
    })
    .returning();
  if (!feature) throw new Error(`feature ${input.key} was not defined`);
  return { feature, changed: true };
}
