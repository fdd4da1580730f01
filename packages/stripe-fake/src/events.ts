import { newId } from './ids.ts';
import type { StripeEvent } from './types.ts';

export const API_VERSION = '2026-10-28.endive';

/** The request whose handling produced an event (Stripe's `event.request`). */
export interface EventOrigin {
  id: string | null;
  idempotency_key: string | null;
}

/**
 * Every event the fake produced, in order, as the fake's account renders them (`api_version`
 * API_VERSION; deliveries carry the webhook endpoint's). Events also wait in an outbox until the
 * code that caused them (an API request, a test-clock helper) hands them to webhook delivery, so
 * that a request's events go out after its response (or, with `webhooks.beforeResponse`, before).
 */
export class EventLog {
  readonly all: StripeEvent[] = [];
  private outbox: StripeEvent[] = [];
  private origin: EventOrigin = { id: null, idempotency_key: null };
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Records `object` as it is now (a deep copy), with the fields that changed if an update. */
  emit(type: string, object: object, previousAttributes?: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt_'),
      object: 'event',
      api_version: API_VERSION,
      created: this.now(),
      data: {
        object: structuredClone(object) as Record<string, unknown>,
        ...(previousAttributes ? { previous_attributes: structuredClone(previousAttributes) } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
      request: { ...this.origin },
      type,
    };
    this.all.push(event);
    this.outbox.push(event);
    return event;
  }

  /** Runs `fn` with events attributed to `origin` (null ids for clock-driven work). */
  attribute<T>(origin: EventOrigin, fn: () => T): T {
    const previous = this.origin;
    this.origin = origin;
    try {
      return fn();
    } finally {
      this.origin = previous;
    }
  }

  /** Takes the events produced since the last call, for delivery. */
  drain(): StripeEvent[] {
    const drained = this.outbox;
    this.outbox = [];
    return drained;
  }
}

/** Top-level fields whose value differs between two snapshots, with their old values. */
export function changedFields(before: object, after: object): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  const old = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  for (const key of Object.keys(now)) {
    if (JSON.stringify(old[key]) !== JSON.stringify(now[key])) changed[key] = old[key] ?? null;
  }
  return changed;
}
