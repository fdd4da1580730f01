import type { MeterUsageFigures } from '../../billing/usage-evaluation.ts';
import type { RequestContext } from '../../context.ts';
import type { ThresholdAlertRow } from '../../db/schema.ts';
import { alertToWire, usageToWire } from '../../live/wire.ts';
import { dispatchAlerts } from '../alerts/alert-dispatch.ts';

/**
 * After a commit: live usage for the meters that changed, then the alerts it fired, in the
 * order they fired, and their deliveries. A failure here never undoes the commit: the alerts
 * are stored, and the sweeper dispatches what was not.
 */
export async function publishAfterCommit(
  ctx: RequestContext,
  organizationId: string,
  changes: { usage: MeterUsageFigures[]; alerts: ThresholdAlertRow[] },
): Promise<void> {
  for (const usage of changes.usage) {
    ctx.live.publish('usage:updated', organizationId, usageToWire(usage));
  }
  for (const alert of changes.alerts) {
    ctx.live.publish('threshold:crossed', organizationId, alertToWire(alert));
  }
  if (changes.alerts.length === 0) return;
  await dispatchAlerts(
    ctx,
    ctx.log,
    changes.alerts.map((a) => a.id),
  ).catch((error: unknown) => {
    ctx.log.error({ err: error, organizationId }, 'alert dispatch failed; the sweeper will retry');
  });
}
