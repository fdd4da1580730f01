import { boundaryAfter } from '../calendar.ts';
import { changedFields } from '../events.ts';
import { newId } from '../ids.ts';
import type { State } from '../state.ts';
import type { Subscription } from '../types.ts';
import { endSubscription } from './cancel.ts';
import { awaitingCollection, collectInvoices } from './collection.ts';
import { createInvoice, pendingItems, voidInvoice } from './invoices.ts';
import { finalizeAndCharge, overdueSince, setStatus } from './payments.ts';
import { chargeFor, currentPeriod, intervalOf, setPeriod } from './periods.ts';
import { advanceSchedules, scheduleBoundaries } from './schedules.ts';
import { INCOMPLETE_WINDOW } from './subscriptions.ts';

const TRIAL_WARNING = 3 * 86_400;
/** Statuses whose periods keep rolling over (Stripe keeps billing past_due subscriptions). */
const CYCLING = new Set(['active', 'trialing', 'past_due']);

/**
 * Moves the clock forward by `seconds`, stopping at every period end, trial warning, automatic
 * invoice collection, expiry of an incomplete subscription and due date of a sent invoice on
 * the way so that each happens (and is timestamped) at its own moment, like a test clock.
 */
export function advanceTime(state: State, seconds: number): void {
  const target = state.now() + Math.max(0, seconds);
  for (let next = nextDue(state, target); next !== null; next = nextDue(state, target)) {
    state.clock.setTo(next);
    runDue(state);
  }
  state.clock.setTo(target);
}

/** The earliest moment ≤ target at which some subscription or invoice needs attention. */
function nextDue(state: State, target: number): number | null {
  let earliest: number | null = null;
  const now = state.now();
  const consider = (time: number) => {
    const at = Math.max(time, now);
    if (at <= target && (earliest === null || at < earliest)) earliest = at;
  };
  for (const subscription of state.subscriptions.values()) {
    if (subscription.status === 'incomplete') consider(expiryOf(subscription));
    const overdue = overdueAt(state, subscription);
    if (overdue !== null) consider(overdue);
    if (!CYCLING.has(subscription.status)) continue;
    consider(currentPeriod(subscription).end);
    if (needsTrialWarning(state, subscription))
      consider((subscription.trial_end ?? 0) - TRIAL_WARNING);
  }
  for (const invoice of awaitingCollection(state)) consider(invoice.next_payment_attempt ?? now);
  for (const boundary of scheduleBoundaries(state)) consider(boundary);
  return earliest;
}

function needsTrialWarning(state: State, subscription: Subscription): boolean {
  return (
    subscription.status === 'trialing' &&
    subscription.trial_end !== null &&
    !state.trialWillEndSent.has(subscription.id)
  );
}

/** An incomplete subscription whose first invoice is still unpaid then ends (incomplete_expired). */
function expiryOf(subscription: Subscription): number {
  return subscription.created + INCOMPLETE_WINDOW;
}

/** When an active send_invoice subscription falls past_due (see overdueSince); null: never. */
function overdueAt(state: State, subscription: Subscription): number | null {
  return subscription.status === 'active' ? overdueSince(state, subscription) : null;
}

/**
 * incomplete → incomplete_expired, Stripe's terminal status: `customer.subscription.updated`,
 * then the open first invoice is voided (`invoice.voided`); nothing more is billed.
 */
function expire(state: State, subscription: Subscription): void {
  const before = structuredClone(subscription);
  subscription.status = 'incomplete_expired';
  subscription.ended_at = state.now();
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
  const invoice = subscription.latest_invoice
    ? state.invoices.get(subscription.latest_invoice)
    : undefined;
  if (invoice?.status === 'open') voidInvoice(state, invoice);
}

function runDue(state: State): void {
  const now = state.now();
  collectInvoices(state, now);
  // Schedule phases that end now put their items on first, so the renewal bills them.
  const beforePhases = advanceSchedules(state);
  for (const subscription of state.subscriptions.values()) {
    if (subscription.status === 'incomplete' && expiryOf(subscription) <= now) {
      expire(state, subscription);
      continue;
    }
    const overdue = overdueAt(state, subscription);
    if (overdue !== null && overdue <= now) setStatus(state, subscription, 'past_due');
    if (!CYCLING.has(subscription.status)) continue;
    const trialEnd = subscription.trial_end ?? 0;
    if (
      needsTrialWarning(state, subscription) &&
      trialEnd - now <= TRIAL_WARNING &&
      trialEnd > now
    ) {
      state.trialWillEndSent.add(subscription.id);
      state.events.emit('customer.subscription.trial_will_end', subscription);
    }
    if (currentPeriod(subscription).end > now) continue;
    if (subscription.cancel_at_period_end || (subscription.cancel_at ?? Infinity) <= now) {
      endSubscription(state, subscription, currentPeriod(subscription).end);
    } else {
      renew(state, subscription, beforePhases.get(subscription.id));
    }
  }
}

/**
 * Rolls a subscription into its next period [E, next boundary) and bills it, with the customer's
 * pending invoice items. A trial ending is the same step into the first paid period. `before` is
 * the subscription before a schedule phase began at this boundary, so that one
 * customer.subscription.updated reports both changes.
 */
function renew(
  state: State,
  subscription: Subscription,
  before: Subscription = structuredClone(subscription),
): void {
  const previous = currentPeriod(subscription);
  const period = {
    start: previous.end,
    end: boundaryAfter(subscription.billing_cycle_anchor, intervalOf(subscription), previous.end),
  };
  setPeriod(subscription, period);
  if (subscription.status === 'trialing') {
    subscription.status = 'active';
    state.trialWillEndSent.delete(subscription.id);
  }
  const invoiceId = newId('in_');
  subscription.latest_invoice = invoiceId;
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );

  const customer = state.customers.get(subscription.customer);
  if (!customer) throw new Error(`customer ${subscription.customer} vanished`);
  const anchor = subscription.billing_cycle_anchor;
  const invoice = createInvoice(state, {
    id: invoiceId,
    customer,
    subscription,
    billingReason: 'subscription_cycle',
    collectionMethod: subscription.collection_method,
    daysUntilDue: subscription.days_until_due,
    autoAdvance: true,
    description: null,
    metadata: {},
    charges: subscription.items.data.map((item) => chargeFor(state, item, period, anchor)),
    pendingItems: pendingItems(state, customer.id),
    period: previous,
  });
  finalizeAndCharge(state, invoice);
}
