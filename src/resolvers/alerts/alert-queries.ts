import { and, desc, eq, lt } from 'drizzle-orm';
import type { RequestContext } from '../../context.ts';
import { type ThresholdAlertRow, thresholdAlerts } from '../../db/schema.ts';
import {
  type Connection,
  decodeCursor,
  type PageArgs,
  toConnection,
} from '../common/pagination.ts';

/** An organization's alerts, newest first. */
export async function listAlerts(
  ctx: RequestContext,
  organizationId: string,
  page: PageArgs,
): Promise<Connection<ThresholdAlertRow>> {
  const rows = await ctx.db
    .select()
    .from(thresholdAlerts)
    .where(
      and(
        eq(thresholdAlerts.organizationId, organizationId),
        page.after ? lt(thresholdAlerts.id, decodeCursor(page.after)) : undefined,
      ),
    )
    .orderBy(desc(thresholdAlerts.id))
    .limit(page.first + 1);
  return toConnection(rows, page, (row) => row.id);
}
