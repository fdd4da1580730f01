import { desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { type WebhookDeliveryRow, webhookDeliveries } from '../../db/schema.ts';

/** The most recent deliveries of each endpoint, at most `perEndpoint` each, in one query. */
export async function recentDeliveries(
  db: Executor,
  endpointIds: readonly string[],
  perEndpoint: number,
): Promise<Map<string, WebhookDeliveryRow[]>> {
  const ranked = db
    .select({
      id: webhookDeliveries.id,
      rank: sql<number>`row_number() over (partition by ${webhookDeliveries.endpointId} order by ${webhookDeliveries.createdAt} desc, ${webhookDeliveries.id} desc)`.as(
        'rank',
      ),
    })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.endpointId, [...endpointIds]))
    .as('ranked');
  const rows = await db
    .select({ delivery: webhookDeliveries })
    .from(webhookDeliveries)
    .innerJoin(ranked, eq(ranked.id, webhookDeliveries.id))
    .where(sql`${ranked.rank} <= ${perEndpoint}`)
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id));
  const byEndpoint = new Map<string, WebhookDeliveryRow[]>(endpointIds.map((id) => [id, []]));
  for (const { delivery } of rows) byEndpoint.get(delivery.endpointId)?.push(delivery);
  return byEndpoint;
}
