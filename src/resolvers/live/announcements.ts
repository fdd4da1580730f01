import type { MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { Services } from '../../context.ts';
import type { BillingSubscriptionRow, InvoiceRow, ThresholdAlertRow } from '../../db/schema.ts';
import { alertToWire, subscriptionToWire, usageToWire } from '../../live/wire.ts';

/**
 * Every live announcement, in one place. Each is made after the commit of what it announces:
 * a subscriber never hears of a change that was rolled back. Delivery is best effort across
 * instances; what is announced is always stored first.
 */
type Live = Pick<Services, 'live'>;

/** Usage of the meters that changed, for banners and bars. */
export function announceUsage(
  services: Live,
  organizationId: string,
  usage: readonly MeterUsageFigures[],
): void {
  for (const figures of usage) {
    services.live.publish('usage:updated', organizationId, usageToWire(figures));
  }
}

/** Thresholds crossed, in the order they fired. */
export function announceAlerts(
  services: Live,
  organizationId: string,
  alerts: readonly ThresholdAlertRow[],
): void {
  for (const alert of alerts) {
    services.live.publish('threshold:crossed', organizationId, alertToWire(alert));
  }
}

export function announceSubscription(services: Live, row: BillingSubscriptionRow): void {
  services.live.publish('subscription:updated', row.organizationId, subscriptionToWire(row));
}

/** Each invoice that changed. */
export function announceInvoices(
  services: Live,
  rows: readonly Pick<InvoiceRow, 'id' | 'organizationId'>[],
): void {
  for (const row of rows) {
    services.live.publish('invoice:updated', row.organizationId, { invoiceId: row.id });
  }
}

/** An organization's entitlements may have changed (plan, status, override): read them afresh. */
export function announceEntitlements(services: Live, organizationId: string): void {
  services.live.publish('entitlements:changed', { organizationId });
  services.live.publish('entitlements:updated', organizationId, { organizationId });
}

/** A revoked key: every instance forgets it and closes its sockets. */
export function announceKeyRevoked(services: Live, keyId: string): void {
  services.live.publish('key:revoked', { keyId });
}

/** An organization's limits changed: every instance reads its terms again. */
export function announceTermsChanged(services: Live, organizationId: string): void {
  services.live.publish('terms:changed', { organizationId });
}
