import { type Interval, shift } from '../calendar.ts';
import { invalidParameter, invalidRequest, missingParameter } from '../errors.ts';
import { changedFields } from '../events.ts';
import { newId } from '../ids.ts';
import { mergeMetadata } from '../params.ts';
import type { BillingModeInput, State } from '../state.ts';
import type {
  Customer,
  Metadata,
  Price,
  ProrationBehavior,
  SchedulePhase,
  SchedulePhaseItem,
  Subscription,
  SubscriptionSchedule,
} from '../types.ts';
import { cancelNow, endSubscription } from './cancel.ts';
import { currentPeriod, intervalOf } from './periods.ts';
import { checkCompatible, checkOneCurrency, createSubscription } from './subscriptions.ts';
import { changeItems, type ItemChange, updateSubscription } from './update.ts';

/**
 * Subscription schedules (https://docs.stripe.com/billing/subscriptions/subscription-schedules):
 * consecutive phases, each with its items, that the clock walks through. Entering a phase puts
 * its items on the subscription; after the last phase the schedule is released (the
 * subscription goes on as it is) or, with end_behavior=cancel, completed and the subscription
 * canceled.
 */

/** A requested phase: prices looked up, dates as given. */
export interface PhaseInput {
  items: { price: Price; quantity: number }[];
  startDate?: number | 'now';
  endDate?: number | 'now';
  duration?: Interval;
  prorationBehavior?: ProrationBehavior;
  metadata?: Metadata;
}

type EndBehavior = SubscriptionSchedule['end_behavior'];

/** Statuses whose periods roll over in renewal.ts (a transition there is billed by the renewal). */
const CYCLING = new Set(['active', 'trialing', 'past_due']);

/**
 * POST /v1/subscription_schedules with from_subscription: one phase copying the subscription's
 * items over its current period, end_behavior=release, the subscription's billing_mode.
 */
export function scheduleFromSubscription(
  state: State,
  subscription: Subscription,
  metadata: Metadata,
): SubscriptionSchedule {
  if (subscription.schedule !== null) {
    throw invalidParameter(
      'from_subscription',
      `You cannot migrate a subscription that is already attached to a schedule: \`${subscription.schedule}\`.`,
    );
  }
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') {
    throw invalidParameter(
      'from_subscription',
      `You cannot migrate a subscription that is ${subscription.status}: \`${subscription.id}\`.`,
    );
  }
  const period = currentPeriod(subscription);
  const phase = newPhase({
    start: period.start,
    end: period.end,
    items: subscription.items.data.map((item) => ({ price: item.price, quantity: item.quantity })),
    prorationBehavior: 'create_prorations',
    metadata: {},
  });
  const schedule = newSchedule(state, {
    customer: subscription.customer,
    subscription,
    phases: [phase],
    endBehavior: 'release',
    metadata,
    billingMode: structuredClone(subscription.billing_mode),
  });
  const before = structuredClone(subscription);
  subscription.schedule = schedule.id;
  state.events.emit('subscription_schedule.created', schedule);
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
  return schedule;
}

/**
 * POST /v1/subscription_schedules with customer and phases, starting now: the subscription is
 * created from the first phase (and billed as any new subscription), then managed.
 */
export function scheduleNewSubscription(
  state: State,
  input: {
    customer: Customer;
    phases: PhaseInput[];
    endBehavior: EndBehavior;
    metadata: Metadata;
    billingMode?: BillingModeInput;
  },
): SubscriptionSchedule {
  const now = state.now();
  if (input.phases.length === 0) throw missingParameter('phases');
  const phases = resolvePhases(input.phases, now, now);
  checkOneCurrency(
    input.phases.flatMap((phase) => phase.items.map((item) => item.price)),
    'phases',
  );
  const [first] = input.phases;
  const subscription = createSubscription(state, {
    customer: input.customer,
    items: first?.items ?? [],
    metadata: { ...(first?.metadata ?? {}) },
    collectionMethod: 'charge_automatically',
    daysUntilDue: null,
    paymentBehavior: 'allow_incomplete',
    prorateFirstPeriod: true,
    ...(input.billingMode ? { billingMode: input.billingMode } : {}),
  });
  const schedule = newSchedule(state, {
    customer: input.customer.id,
    subscription,
    phases,
    endBehavior: input.endBehavior,
    metadata: input.metadata,
    billingMode: structuredClone(subscription.billing_mode),
  });
  const before = structuredClone(subscription);
  subscription.schedule = schedule.id;
  syncCancelAt(schedule, subscription);
  state.events.emit('subscription_schedule.created', schedule);
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
  return schedule;
}

export interface ScheduleUpdate {
  phases?: PhaseInput[];
  endBehavior?: EndBehavior;
  metadata?: Metadata | null;
  /** For a change to the current phase's items: how to prorate it (default create_prorations). */
  prorationBehavior: ProrationBehavior;
}

/**
 * POST /v1/subscription_schedules/:id. `phases` replaces the current and future phases: the
 * first one given must start where the current phase (or an ended one, repeated unchanged)
 * starts, phases follow each other without gaps, and the current phase must end in the future.
 * Changing the current phase's items changes the subscription now, prorated per
 * proration_behavior.
 */
export function updateSchedule(
  state: State,
  schedule: SubscriptionSchedule,
  update: ScheduleUpdate,
): void {
  const subscription = activeSubscription(state, schedule, 'update');
  const before = structuredClone(schedule);
  let itemChanges: ItemChange[] = [];
  if (update.phases) {
    const { keep, phases } = replacementPhases(state, schedule, subscription, update.phases);
    const current = phases[currentIndex(schedule) - keep];
    if (!current) throw new Error('replacementPhases returned no current phase');
    itemChanges = itemChangesTo(state, subscription, current.items);
    schedule.phases = [...schedule.phases.slice(0, keep), ...phases];
    schedule.current_phase = { start_date: current.start_date, end_date: current.end_date };
  }
  if (update.endBehavior !== undefined) schedule.end_behavior = update.endBehavior;
  schedule.metadata = mergeMetadata(schedule.metadata, update.metadata);
  if (itemChanges.length > 0) {
    // Emits the subscription's own customer.subscription.updated.
    updateSubscription(state, subscription, {
      items: itemChanges,
      prorationBehavior: update.prorationBehavior,
    });
  }
  const subscriptionBefore = structuredClone(subscription);
  syncCancelAt(schedule, subscription);
  const changed = changedFields(before, schedule);
  if (Object.keys(changed).length > 0) {
    state.events.emit('subscription_schedule.updated', schedule, changed);
  }
  const cancelChanged = changedFields(subscriptionBefore, subscription);
  if (Object.keys(cancelChanged).length > 0) {
    state.events.emit('customer.subscription.updated', subscription, cancelChanged);
  }
}

/**
 * POST /v1/subscription_schedules/:id/release: the subscription keeps its items and period and
 * is no longer managed; a cancellation the schedule set (end_behavior=cancel) is dropped unless
 * preserve_cancel_date.
 */
export function releaseSchedule(
  state: State,
  schedule: SubscriptionSchedule,
  options: { preserveCancelDate: boolean },
): void {
  const subscription = activeSubscription(state, schedule, 'release');
  const before = structuredClone(subscription);
  release(state, schedule, subscription, state.now(), options.preserveCancelDate);
  state.events.emit(
    'customer.subscription.updated',
    subscription,
    changedFields(before, subscription),
  );
}

/**
 * POST /v1/subscription_schedules/:id/cancel: the subscription is canceled now (prorated and
 * invoiced unless told otherwise, as DELETE /v1/subscriptions/:id would), the schedule canceled.
 */
export function cancelSchedule(
  state: State,
  schedule: SubscriptionSchedule,
  options: { invoiceNow: boolean; prorate: boolean },
): void {
  const subscription = activeSubscription(state, schedule, 'cancel');
  cancelNow(state, subscription, options);
  schedule.status = 'canceled';
  schedule.canceled_at = state.now();
  schedule.current_phase = null;
  state.events.emit('subscription_schedule.canceled', schedule);
}

/**
 * After POST /v1/subscriptions/:id changed the items of a scheduled subscription: Stripe lets
 * it and the schedule's current phase takes the new items (later phases are unchanged).
 */
export function followSubscriptionItems(state: State, subscription: Subscription): void {
  const schedule = subscription.schedule
    ? state.subscriptionSchedules.get(subscription.schedule)
    : undefined;
  if (schedule?.status !== 'active') return;
  const phase = schedule.phases[currentIndex(schedule)];
  if (!phase) return;
  const items = phaseItems(
    subscription.items.data.map((item) => ({ price: item.price, quantity: item.quantity })),
  );
  if (JSON.stringify(items) === JSON.stringify(phase.items)) return;
  const before = structuredClone(schedule);
  phase.items = items;
  state.events.emit('subscription_schedule.updated', schedule, changedFields(before, schedule));
}

/** The moments at which an active schedule's current phase ends (for advanceTime to stop at). */
export function scheduleBoundaries(state: State): number[] {
  const boundaries: number[] = [];
  for (const schedule of state.subscriptionSchedules.values()) {
    if (schedule.status === 'active' && schedule.current_phase) {
      boundaries.push(schedule.current_phase.end_date);
    }
  }
  return boundaries;
}

/**
 * Walks every active schedule whose current phase has ended into its next phase (or its end)
 * as of now. A phase ending with the subscription's period switches the items before the
 * renewal, without prorations, and leaves customer.subscription.updated to the renewal: the
 * returned snapshots are the subscriptions as they were before, by id. A phase ending within a
 * period changes the items then, prorated per the next phase's proration_behavior.
 */
export function advanceSchedules(state: State): Map<string, Subscription> {
  const snapshots = new Map<string, Subscription>();
  const now = state.now();
  for (const schedule of state.subscriptionSchedules.values()) {
    if (!syncEnded(state, schedule)) continue;
    const subscription = subscriptionOf(state, schedule);
    if (!subscription) continue;
    // Each step consumes a phase, so this ends after at most phases.length steps.
    for (let steps = schedule.phases.length; steps > 0; steps--) {
      const index = currentIndex(schedule);
      const phase = schedule.phases[index];
      if (!phase || phase.end_date > now) break;
      const aligned = phase.end_date === currentPeriod(subscription).end;
      const renews = aligned && renewsNow(subscription, now);
      let before = snapshots.get(subscription.id) ?? structuredClone(subscription);
      const next = schedule.phases[index + 1];
      if (!next) {
        if (schedule.end_behavior === 'cancel') {
          flushSnapshot(state, snapshots, subscription);
          complete(state, schedule, subscription, phase.end_date);
          break;
        }
        release(state, schedule, subscription, phase.end_date, false);
      } else {
        const scheduleBefore = structuredClone(schedule);
        enterPhase(state, subscription, next, aligned);
        // Within a period the change emitted its own customer.subscription.updated.
        if (!aligned) before = structuredClone(subscription);
        schedule.current_phase = { start_date: next.start_date, end_date: next.end_date };
        state.events.emit(
          'subscription_schedule.updated',
          schedule,
          changedFields(scheduleBefore, schedule),
        );
      }
      if (renews) {
        snapshots.set(subscription.id, before);
      } else {
        const changed = changedFields(before, subscription);
        if (Object.keys(changed).length > 0) {
          state.events.emit('customer.subscription.updated', subscription, changed);
        }
      }
      if (!next) break;
    }
  }
  return snapshots;
}

// ---------------------------------------------------------------------------------------------

function newSchedule(
  state: State,
  input: {
    customer: string;
    subscription: Subscription;
    phases: SchedulePhase[];
    endBehavior: EndBehavior;
    metadata: Metadata;
    billingMode: SubscriptionSchedule['billing_mode'];
  },
): SubscriptionSchedule {
  const [first] = input.phases;
  const schedule: SubscriptionSchedule = {
    id: newId('sub_sched_'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: input.billingMode,
    canceled_at: null,
    completed_at: null,
    created: state.now(),
    current_phase: first ? { start_date: first.start_date, end_date: first.end_date } : null,
    customer: input.customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: input.subscription.collection_method,
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        days_until_due: input.subscription.days_until_due,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: input.endBehavior,
    livemode: false,
    metadata: input.metadata,
    pause_schedules: [],
    phases: input.phases,
    released_at: null,
    released_subscription: null,
    status: 'active',
    subscription: input.subscription.id,
    test_clock: null,
  };
  state.subscriptionSchedules.set(schedule.id, schedule);
  return schedule;
}

function newPhase(input: {
  start: number;
  end: number;
  items: { price: Price; quantity: number }[];
  prorationBehavior: ProrationBehavior;
  metadata: Metadata;
}): SchedulePhase {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: input.items[0]?.price.currency ?? 'usd',
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: input.end,
    invoice_settings: null,
    items: phaseItems(input.items),
    metadata: input.metadata,
    on_behalf_of: null,
    proration_behavior: input.prorationBehavior,
    start_date: input.start,
    transfer_data: null,
    trial_end: null,
  };
}

function phaseItems(items: { price: Price; quantity: number }[]): SchedulePhaseItem[] {
  return items.map(({ price, quantity }) => ({
    billing_thresholds: null,
    discounts: [],
    metadata: {},
    plan: price.id,
    price: price.id,
    quantity,
    tax_rates: [],
  }));
}

/**
 * Dates of requested phases, the first starting at `firstStart`: each later phase starts where
 * the previous ends (a start_date must say the same); a phase ends at its end_date, after its
 * duration, at the next phase's start_date, or else after one interval of its price.
 */
function resolvePhases(inputs: PhaseInput[], firstStart: number, now: number): SchedulePhase[] {
  const at = (value: number | 'now') => (value === 'now' ? now : value);
  let cursor = firstStart;
  return inputs.map((input, index) => {
    const param = `phases[${index}]`;
    const first = input.items[0];
    if (!first) throw missingParameter(`${param}[items]`);
    checkCompatible(
      input.items.map((item) => item.price),
      `${param}[items]`,
    );
    const start = cursor;
    if (index > 0 && input.startDate !== undefined && at(input.startDate) !== start) {
      throw invalidParameter(
        `${param}[start_date]`,
        `Phases must be contiguous: the start_date of ${param} must equal the end_date of phases[${index - 1}] (${start}).`,
      );
    }
    if (input.endDate !== undefined && input.duration !== undefined) {
      throw invalidRequest('You may only specify one of these parameters: duration, end_date.', {
        code: 'parameters_exclusive',
        param: `${param}[end_date]`,
      });
    }
    const nextStart = inputs[index + 1]?.startDate;
    const recurring = first.price.recurring;
    if (!recurring) throw new Error('checkCompatible lets only recurring prices through');
    const end =
      input.endDate !== undefined
        ? at(input.endDate)
        : input.duration !== undefined
          ? shift(start, input.duration, 1)
          : nextStart !== undefined
            ? at(nextStart)
            : shift(start, recurring, 1);
    if (end <= start) {
      throw invalidParameter(
        `${param}[end_date]`,
        `The end_date of ${param} must be after its start_date (${start}).`,
      );
    }
    cursor = end;
    return newPhase({
      start,
      end,
      items: input.items,
      prorationBehavior: input.prorationBehavior ?? 'create_prorations',
      metadata: input.metadata ?? {},
    });
  });
}

/**
 * The phases an update's `phases` stands for, and how many existing phases stay in front of
 * them. Validated before anything changes.
 */
function replacementPhases(
  state: State,
  schedule: SubscriptionSchedule,
  subscription: Subscription,
  inputs: PhaseInput[],
): { keep: number; phases: SchedulePhase[] } {
  const now = state.now();
  const requested = inputs[0]?.startDate;
  if (requested === undefined) throw missingParameter('phases[0][start_date]');
  const current = currentIndex(schedule);
  const firstStart = requested === 'now' ? now : requested;
  // Past phases may be left out; when given, they must come back as they were.
  const keep = schedule.phases.findIndex((phase) => phase.start_date === firstStart);
  if (keep === -1 || keep > current) {
    throw invalidParameter(
      'phases[0][start_date]',
      'You can not modify the start date of the current phase.',
    );
  }
  const phases = resolvePhases(inputs, firstStart, now);
  for (let index = 0; index < current - keep; index++) {
    const given = phases[index];
    const existing = schedule.phases[keep + index];
    const same =
      given !== undefined &&
      existing !== undefined &&
      given.start_date === existing.start_date &&
      given.end_date === existing.end_date &&
      JSON.stringify(given.items) === JSON.stringify(existing.items);
    if (!same) {
      throw invalidParameter(
        `phases[${index}]`,
        'You can not modify phases that have already ended.',
      );
    }
  }
  const replacement = phases[current - keep];
  if (!replacement) {
    throw invalidParameter('phases', 'The phases must include the current phase.');
  }
  if (replacement.end_date <= now) {
    throw invalidParameter(
      `phases[${current - keep}][end_date]`,
      'The current phase must end in the future.',
    );
  }
  const currentPrices = subscription.items.data.map((item) => item.price);
  inputs.forEach((input, index) => {
    checkOneCurrency(
      [...currentPrices, ...input.items.map((item) => item.price)],
      `phases[${index}][items]`,
    );
  });
  return { keep, phases };
}

/** The subscription items[] entries that turn the subscription's items into `wanted`. */
function itemChangesTo(
  state: State,
  subscription: Subscription,
  wanted: SchedulePhaseItem[],
): ItemChange[] {
  const leftover = [...subscription.items.data];
  const unmatched: SchedulePhaseItem[] = [];
  const changes: ItemChange[] = [];
  for (const entry of wanted) {
    const index = leftover.findIndex((item) => item.price.id === entry.price);
    const [item] = index === -1 ? [] : leftover.splice(index, 1);
    if (!item) unmatched.push(entry);
    else if (item.quantity !== entry.quantity) changes.push({ item, quantity: entry.quantity });
  }
  // A new price takes the place of an item whose price left (the item keeps its id).
  for (const entry of unmatched) {
    const price = state.prices.get(entry.price);
    if (!price) throw new Error(`price ${entry.price} vanished`);
    const item = leftover.shift();
    changes.push({ ...(item ? { item } : {}), price, quantity: entry.quantity });
  }
  for (const item of leftover) changes.push({ item, deleted: true });
  return changes;
}

/** Puts a phase's items (and metadata) on the subscription; emits nothing. */
function enterPhase(
  state: State,
  subscription: Subscription,
  phase: SchedulePhase,
  aligned: boolean,
): void {
  const changes = itemChangesTo(state, subscription, phase.items);
  if (aligned) {
    // At the period's end nothing is left to prorate; the renewal bills the new items. A phase
    // of another interval anchors the billing cycle to its start.
    const interval = intervalOf(subscription);
    if (changes.length > 0) changeItems(state, subscription, changes, null);
    const next = intervalOf(subscription);
    if (next.interval !== interval.interval || next.interval_count !== interval.interval_count) {
      subscription.billing_cycle_anchor = phase.start_date;
    }
    subscription.metadata = mergeMetadata(subscription.metadata, phase.metadata);
    return;
  }
  // Within a period: the change POST /v1/subscriptions/:id would make (it emits its event).
  updateSubscription(state, subscription, {
    items: changes,
    prorationBehavior: phase.proration_behavior,
    metadata: phase.metadata,
  });
}

function release(
  state: State,
  schedule: SubscriptionSchedule,
  subscription: Subscription,
  at: number,
  preserveCancelDate: boolean,
): void {
  schedule.status = 'released';
  schedule.released_at = at;
  schedule.released_subscription = subscription.id;
  schedule.subscription = null;
  schedule.current_phase = null;
  subscription.schedule = null;
  // While scheduled only the schedule can set cancel_at (direct cancellation is refused).
  if (!preserveCancelDate && !subscription.cancel_at_period_end) subscription.cancel_at = null;
  state.events.emit('subscription_schedule.released', schedule);
}

/** end_behavior=cancel after the last phase: the subscription ends, the schedule completes. */
function complete(
  state: State,
  schedule: SubscriptionSchedule,
  subscription: Subscription,
  at: number,
): void {
  endSubscription(state, subscription, at);
  schedule.status = 'completed';
  schedule.completed_at = at;
  schedule.current_phase = null;
  state.events.emit('subscription_schedule.completed', schedule);
}

/** end_behavior=cancel shows on the subscription as cancel_at = the last phase's end. */
function syncCancelAt(schedule: SubscriptionSchedule, subscription: Subscription): void {
  if (subscription.cancel_at_period_end) return;
  const last = schedule.phases.at(-1);
  subscription.cancel_at = schedule.end_behavior === 'cancel' && last ? last.end_date : null;
}

function flushSnapshot(
  state: State,
  snapshots: Map<string, Subscription>,
  subscription: Subscription,
): void {
  const before = snapshots.get(subscription.id);
  if (!before) return;
  snapshots.delete(subscription.id);
  const changed = changedFields(before, subscription);
  if (Object.keys(changed).length > 0) {
    state.events.emit('customer.subscription.updated', subscription, changed);
  }
}

/** Whether renewal.ts renews the subscription in this same step (rather than ending it). */
function renewsNow(subscription: Subscription, now: number): boolean {
  return (
    CYCLING.has(subscription.status) &&
    currentPeriod(subscription).end <= now &&
    !subscription.cancel_at_period_end &&
    (subscription.cancel_at ?? Number.POSITIVE_INFINITY) > now
  );
}

/** Index of the phase the schedule is in (the one current_phase names); -1 when none. */
function currentIndex(schedule: SubscriptionSchedule): number {
  const current = schedule.current_phase;
  if (!current) return -1;
  return schedule.phases.findIndex((phase) => phase.start_date === current.start_date);
}

function subscriptionOf(state: State, schedule: SubscriptionSchedule): Subscription | undefined {
  return schedule.subscription ? state.subscriptions.get(schedule.subscription) : undefined;
}

/**
 * A schedule whose subscription ended by other means (DELETE /v1/subscriptions/:id, expiry) is
 * canceled with it; the fake notices at the schedule's next request or clock step. Returns
 * whether the schedule is still active.
 */
function syncEnded(state: State, schedule: SubscriptionSchedule): boolean {
  if (schedule.status !== 'active') return false;
  const subscription = subscriptionOf(state, schedule);
  const ended =
    !subscription ||
    subscription.status === 'canceled' ||
    subscription.status === 'incomplete_expired';
  if (!ended) return true;
  schedule.status = 'canceled';
  schedule.canceled_at = subscription?.ended_at ?? state.now();
  schedule.current_phase = null;
  state.events.emit('subscription_schedule.canceled', schedule);
  return false;
}

/** The subscription of a schedule that must be active for `action`, else Stripe's refusal. */
function activeSubscription(
  state: State,
  schedule: SubscriptionSchedule,
  action: 'update' | 'release' | 'cancel',
): Subscription {
  syncEnded(state, schedule);
  const subscription = subscriptionOf(state, schedule);
  if (schedule.status !== 'active' || !subscription) {
    throw invalidRequest(
      `You cannot ${action} a subscription schedule that is currently in the \`${schedule.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`,
    );
  }
  return subscription;
}
