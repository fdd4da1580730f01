import { randomUUID } from 'node:crypto';

/**
 * The idempotency key of one intended operation on Stripe (this plan change, this cancellation),
 * made once when the operation is asked for and reused by every retry of its request
 * (stripe-node's own). Never made from what the operation does (subscription and plan) nor from
 * the clock: Stripe replays a saved answer for 24 hours, so a second, identical operation under
 * the same key (downgrade, upgrade, the same downgrade again) would be answered without being
 * carried out.
 */
export function operationKey(operation: string, subjectId: string): string {
  return `${operation}:${subjectId}:${randomUUID()}`;
}
