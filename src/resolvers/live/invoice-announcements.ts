import type { Services } from '../../context.ts';
import type { InvoiceRow } from '../../db/schema.ts';

/** After a commit: live dashboards hear of each invoice that changed. */
export function invoicesChanged(
  services: Pick<Services, 'live'>,
  rows: readonly Pick<InvoiceRow, 'id' | 'organizationId'>[],
): void {
  for (const row of rows) {
    services.live.publish('invoice:updated', row.organizationId, { invoiceId: row.id });
  }
}
