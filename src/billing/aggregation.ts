import { Decimal } from './decimal.ts';

/** How a meter's events add up within a period. */
export type Aggregation = 'SUM' | 'COUNT' | 'MAX' | 'LAST';

/**
 * MAX and LAST meters are gauges (seats, storage): they say how much there is, not how much was
 * used, so they neither accumulate (no projection) nor reset with the period.
 */
export function isGauge(aggregation: Aggregation): boolean {
  return aggregation === 'MAX' || aggregation === 'LAST';
}

/** A period total as the aggregation keeps it. */
export interface RunningTotal {
  value: Decimal;
  eventCount: number;
  /** The event deciding a LAST meter: the latest occurredAt, ties broken by the higher id. */
  last: { occurredAt: Date; eventId: string } | null;
}

export interface CountedEvent {
  id: string;
  quantity: Decimal;
  occurredAt: Date;
}

export function emptyTotal(): RunningTotal {
  return { value: new Decimal(0), eventCount: 0, last: null };
}

/**
 * The total after one more event. COUNT counts 1 per event whatever its quantity; LAST takes the
 * quantity of the latest occurredAt, not of the latest arrival, so events arriving out of order
 * leave the value to the one that happened last.
 */
export function applyEvent(
  aggregation: Aggregation,
  total: RunningTotal,
  event: CountedEvent,
): RunningTotal {
  const eventCount = total.eventCount + 1;
  switch (aggregation) {
    case 'SUM':
      return { ...total, eventCount, value: total.value.plus(event.quantity) };
    case 'COUNT':
      return { ...total, eventCount, value: total.value.plus(1) };
    case 'MAX':
      return {
        ...total,
        eventCount,
        value: eventCount === 1 ? event.quantity : Decimal.max(total.value, event.quantity),
      };
    case 'LAST': {
      if (total.last && !isLater(event, total.last)) return { ...total, eventCount };
      return {
        eventCount,
        value: event.quantity,
        last: { occurredAt: event.occurredAt, eventId: event.id },
      };
    }
  }
}

function isLater(event: CountedEvent, last: { occurredAt: Date; eventId: string }): boolean {
  const difference = event.occurredAt.getTime() - last.occurredAt.getTime();
  return difference > 0 || (difference === 0 && event.id > last.eventId);
}
