import {
  cancelSchedule,
  type PhaseInput,
  releaseSchedule,
  scheduleFromSubscription,
  scheduleNewSubscription,
  updateSchedule,
} from '../billing/schedules.ts';
import type { IntervalUnit } from '../calendar.ts';
import { invalidParameter, missingParameter, noSuch } from '../errors.ts';
import { listOf, PAGINATION } from '../list.ts';
import { customerById, priceById, subscriptionById } from '../lookup.ts';
import {
  optBool,
  optEnum,
  optInt,
  optIntOrNow,
  optList,
  optMetadata,
  optObject,
  optString,
  type Params,
  parseParams,
  type Schema,
} from '../params.ts';
import { pathId, type Route } from '../router.ts';
import type { BillingModeInput, State } from '../state.ts';
import type { SubscriptionSchedule } from '../types.ts';

const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;
/** Stripe also lists the legacy `none` and `renew`; only these two are documented today. */
const END_BEHAVIOR = ['release', 'cancel'] as const;
const UNITS: readonly IntervalUnit[] = ['day', 'week', 'month', 'year'];

/** `billing_mode` on creation (subscriptions, checkout's subscription_data, schedules). */
export const BILLING_MODE: Schema[string] = {
  object: { type: 'string', flexible: { object: { proration_discounts: 'string' } } },
};

/**
 * Reads `billing_mode[type]` (classic | flexible, required when billing_mode is given) and
 * `billing_mode[flexible][proration_discounts]` (only with flexible). `param` names the hash.
 */
export function billingModeParam(
  p: Params,
  name: string,
  param = name,
): BillingModeInput | undefined {
  const mode = optObject(p, name);
  if (!mode) return undefined;
  const type = optString(mode, 'type');
  if (type === undefined) throw missingParameter(`${param}[type]`);
  if (type !== 'classic' && type !== 'flexible') {
    throw invalidParameter(
      `${param}[type]`,
      `Invalid ${param}[type]: must be one of classic, flexible`,
    );
  }
  const flexible = optObject(mode, 'flexible');
  if (flexible && type !== 'flexible') {
    throw invalidParameter(
      `${param}[flexible]`,
      `${param}[flexible] can only be set when ${param}[type] is flexible.`,
    );
  }
  const discounts = flexible ? optString(flexible, 'proration_discounts') : undefined;
  if (discounts !== undefined && discounts !== 'included' && discounts !== 'itemized') {
    throw invalidParameter(
      `${param}[flexible][proration_discounts]`,
      `Invalid ${param}[flexible][proration_discounts]: must be one of included, itemized`,
    );
  }
  return { type, ...(discounts ? { prorationDiscounts: discounts } : {}) };
}

/**
 * The slice of a phase the fake models. `iterations` is not here: API 2025-09-30.clover removed
 * it for `duration` (https://docs.stripe.com/changelog/clover/2025-09-30/remove-iterations).
 */
const PHASE: Schema = {
  items: { list: { price: 'string', quantity: 'integer' } },
  start_date: 'integer_or_now',
  end_date: 'integer_or_now',
  duration: { object: { interval: 'string', interval_count: 'integer' } },
  proration_behavior: 'string',
  metadata: 'metadata',
};

export const subscriptionScheduleRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules$/,
    handle({ state, raw }) {
      const p = parseParams(raw, {
        from_subscription: 'string',
        customer: 'string',
        start_date: 'integer_or_now',
        end_behavior: 'string',
        metadata: 'metadata',
        billing_mode: BILLING_MODE,
        phases: { list: PHASE },
      });
      const metadata = optMetadata(p) ?? {};
      const from = optString(p, 'from_subscription');
      if (from !== undefined) {
        // "When using this parameter, other parameters (such as phase values) cannot be set";
        // billing_mode is inherited from the subscription.
        for (const other of ['customer', 'start_date', 'end_behavior', 'billing_mode', 'phases']) {
          if (p[other] !== undefined) {
            throw invalidParameter(
              other,
              `You cannot set \`${other}\` when using \`from_subscription\`.`,
            );
          }
        }
        return scheduleFromSubscription(
          state,
          subscriptionById(state, from, 'from_subscription'),
          metadata,
        );
      }
      const customerId = optString(p, 'customer');
      if (customerId === undefined) throw missingParameter('customer');
      const start = optIntOrNow(p, 'start_date') ?? 'now';
      if (start !== 'now') {
        throw invalidParameter(
          'start_date',
          'The Stripe fake starts subscription schedules only now (start_date=now): future and backdated starts are not modelled.',
        );
      }
      const billingMode = billingModeParam(p, 'billing_mode');
      return scheduleNewSubscription(state, {
        customer: customerById(state, customerId, 'customer'),
        phases: phasesOf(state, p),
        endBehavior: optEnum(p, 'end_behavior', END_BEHAVIOR) ?? 'release',
        metadata,
        ...(billingMode ? { billingMode } : {}),
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscription_schedules$/,
    handle({ state, raw }) {
      const p = parseParams(raw, { customer: 'string', ...PAGINATION });
      const customer = optString(p, 'customer');
      const matching = [...state.subscriptionSchedules.values()].filter(
        (schedule) => customer === undefined || schedule.customer === customer,
      );
      return listOf(matching, '/v1/subscription_schedules', p);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)$/,
    handle(context) {
      parseParams(context.raw, {});
      return scheduleById(context.state, pathId(context));
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)$/,
    handle(context) {
      const { state } = context;
      const schedule = scheduleById(state, pathId(context));
      const p = parseParams(context.raw, {
        phases: { list: PHASE },
        end_behavior: 'string',
        metadata: 'metadata',
        proration_behavior: 'string',
      });
      const endBehavior = optEnum(p, 'end_behavior', END_BEHAVIOR);
      const metadata = optMetadata(p);
      updateSchedule(state, schedule, {
        ...(p.phases !== undefined ? { phases: phasesOf(state, p) } : {}),
        ...(endBehavior !== undefined ? { endBehavior } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        prorationBehavior: optEnum(p, 'proration_behavior', PRORATION) ?? 'create_prorations',
      });
      return schedule;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)\/release$/,
    handle(context) {
      const schedule = scheduleById(context.state, pathId(context));
      const p = parseParams(context.raw, { preserve_cancel_date: 'boolean' });
      releaseSchedule(context.state, schedule, {
        preserveCancelDate: optBool(p, 'preserve_cancel_date') ?? false,
      });
      return schedule;
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/subscription_schedules\/([^/]+)\/cancel$/,
    handle(context) {
      const schedule = scheduleById(context.state, pathId(context));
      const p = parseParams(context.raw, { invoice_now: 'boolean', prorate: 'boolean' });
      cancelSchedule(context.state, schedule, {
        invoiceNow: optBool(p, 'invoice_now') ?? true,
        prorate: optBool(p, 'prorate') ?? true,
      });
      return schedule;
    },
  },
];

function scheduleById(state: State, id: string): SubscriptionSchedule {
  const schedule = state.subscriptionSchedules.get(id);
  if (!schedule) throw noSuch('subscription_schedule', id);
  return schedule;
}

function phasesOf(state: State, p: Params): PhaseInput[] {
  return (optList(p, 'phases') ?? []).map((phase, index) => {
    const param = `phases[${index}]`;
    const items = (optList(phase, 'items') ?? []).map((item, itemIndex) => {
      const itemParam = `${param}[items][${itemIndex}]`;
      const priceId = optString(item, 'price');
      if (!priceId) throw missingParameter(`${itemParam}[price]`);
      const quantity = optInt(item, 'quantity') ?? 1;
      if (quantity < 1)
        throw invalidParameter(`${itemParam}[quantity]`, 'Quantity must be at least 1.');
      return { price: priceById(state, priceId, `${itemParam}[price]`), quantity };
    });
    const startDate = optIntOrNow(phase, 'start_date');
    const endDate = optIntOrNow(phase, 'end_date');
    const duration = optObject(phase, 'duration');
    const prorationBehavior = optEnum(phase, 'proration_behavior', PRORATION);
    const metadata = optMetadata(phase);
    return {
      items,
      ...(startDate !== undefined ? { startDate } : {}),
      ...(endDate !== undefined ? { endDate } : {}),
      ...(duration ? { duration: durationOf(duration, `${param}[duration]`) } : {}),
      ...(prorationBehavior ? { prorationBehavior } : {}),
      ...(metadata ? { metadata } : {}),
    };
  });
}

function durationOf(
  duration: Params,
  param: string,
): { interval: IntervalUnit; interval_count: number } {
  const interval = optString(duration, 'interval');
  const unit = UNITS.find((candidate) => candidate === interval);
  if (interval === undefined) throw missingParameter(`${param}[interval]`);
  if (!unit) {
    throw invalidParameter(
      `${param}[interval]`,
      `Invalid ${param}[interval]: must be one of day, week, month, year`,
    );
  }
  const count = optInt(duration, 'interval_count') ?? 1;
  if (count < 1)
    throw invalidParameter(`${param}[interval_count]`, 'interval_count must be at least 1.');
  return { interval: unit, interval_count: count };
}
