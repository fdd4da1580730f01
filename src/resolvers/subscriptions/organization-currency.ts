import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { billingSubscriptions, type PlanRow, plans } from '../../db/schema.ts';
import { ValidationError } from '../../errors.ts';

/**
 * An organization pays in one currency, fixed by its first subscription: its invoices, credits
 * and prorations never mix two. Moving to a plan sold in another currency is refused.
 */
export function refuseOtherCurrency(currency: string, next: PlanRow, path: string[]): void {
  if (next.currency === currency) return;
  throw ValidationError.forField(
    path,
    `the ${next.name} plan is sold in ${next.currency.toUpperCase()}, and this organization pays in ${currency.toUpperCase()} (fixed by its first subscription): choose a plan sold in ${currency.toUpperCase()}`,
  );
}

/** The currency an organization pays in, or null before its first subscription. */
export async function currencyOf(db: Executor, organizationId: string): Promise<string | null> {
  const [row] = await db
    .select({ currency: plans.currency })
    .from(billingSubscriptions)
    .innerJoin(plans, eq(plans.id, billingSubscriptions.planId))
    .where(eq(billingSubscriptions.organizationId, organizationId));
  return row?.currency ?? null;
}
