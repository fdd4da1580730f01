import { Decimal } from '../../billing/decimal.ts';
import { valueAfter } from '../../billing/quota.ts';
import type { RequestContext } from '../../context.ts';
import type { MeterRow, PlanRow } from '../../db/schema.ts';
import { cheapestPlanAccepting } from '../catalog/upgrade-paths.ts';
import { currencyOf } from '../subscriptions/organization-currency.ts';

/**
 * For a HARD limit that refused usage: the cheapest plan on sale (in the organization's
 * currency) whose quota would have taken the total the event asked for.
 */
export async function upgradeForRefusedUsage(
  ctx: RequestContext,
  organizationId: string | null,
  meter: MeterRow,
  refused: { used: string; requested: string },
): Promise<PlanRow | null> {
  const needed = valueAfter(
    meter.aggregation,
    new Decimal(refused.used),
    new Decimal(refused.requested),
  );
  const currency = organizationId ? await currencyOf(ctx.db, organizationId) : null;
  return cheapestPlanAccepting(ctx.db, meter.key, needed, currency);
}
