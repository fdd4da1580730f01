import { z } from 'zod';
import { type Decimal, parseDecimal } from '../../billing/decimal.ts';
import { calendarMonthOf, type Period } from '../../billing/period.ts';
import { ValidationError } from '../../errors.ts';
import { jsonProblem, parseInput, textProblem } from '../../validation.ts';

/**
 * One usage event as producers send it, defined once: each field's GraphQL scalar (the schema
 * builds RecordUsageInput from this table) and its check (the zod schema below, which GraphQL
 * and REST /v1/usage both apply).
 */
export const USAGE_EVENT_FIELDS = {
  meter: {
    scalar: 'String',
    required: true,
    description: null,
    check: z.string().trim().min(1, 'must not be empty').max(64).superRefine(keptAsSent),
  },
  quantity: {
    scalar: 'Decimal',
    required: true,
    description: null,
    // Decimal text; a JSON number only when it is a safe integer (a fraction has been a float).
    check: z.union([
      z.string().max(64),
      z
        .number()
        .refine(Number.isSafeInteger, 'must be a string such as "12.5" unless it is a whole number')
        .transform(String),
    ]),
  },
  idempotencyKey: {
    scalar: 'String',
    required: true,
    description:
      'Unique per organization, compared exactly as sent; a retry with the same key counts once.',
    // Never trimmed: " batch-7 " and "batch-7" are two keys, as the producer sent them.
    check: z
      .string()
      .max(255, 'must be at most 255 characters')
      .refine((key) => key.trim().length > 0, 'must not be empty')
      .superRefine(keptAsSent),
  },
  occurredAt: {
    scalar: 'DateTime',
    required: false,
    description: 'Defaults to the time of receipt.',
    check: z
      .union([z.date(), z.iso.datetime({ offset: true }).transform((text) => new Date(text))])
      .nullish(),
  },
  metadata: { scalar: 'JSON', required: false, description: null, check: z.unknown().optional() },
} as const;

function keptAsSent(text: string, ctx: z.RefinementCtx): void {
  const problem = textProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

const usageEventInput = z.object({
  meter: USAGE_EVENT_FIELDS.meter.check,
  quantity: USAGE_EVENT_FIELDS.quantity.check,
  idempotencyKey: USAGE_EVENT_FIELDS.idempotencyKey.check,
  occurredAt: USAGE_EVENT_FIELDS.occurredAt.check,
  metadata: USAGE_EVENT_FIELDS.metadata.check,
} satisfies { [K in keyof typeof USAGE_EVENT_FIELDS]: (typeof USAGE_EVENT_FIELDS)[K]['check'] });

const USAGE_LIMITS = {
  /** Serialized size of an event's metadata. */
  maxMetadataBytes: 2048,
  /** Nesting of an event's metadata: objects and arrays within it. */
  maxMetadataDepth: 8,
  /** How far ahead of the server's clock an event may be dated. */
  maxFutureMs: 5 * 60 * 1000,
} as const;

/** An event that passed every check that does not need the database. */
export interface CheckedUsageEvent {
  meterKey: string;
  quantity: Decimal;
  idempotencyKey: string;
  occurredAt: Date;
  period: Period;
  metadata: unknown;
}

/**
 * Checks one event: its shape, an exact positive quantity, its metadata size, and its time: not
 * more than 5 minutes ahead, not before the organization existed (no plan bills it), and inside a
 * period still open for usage (the grace window after a period's end). Throws a ValidationError that says which field is wrong and why.
 */
export function checkUsageEvent(
  input: unknown,
  options: {
    now: Date;
    graceMs: number;
    knownMeters: ReadonlySet<string>;
    organizationCreatedAt: Date;
  },
): CheckedUsageEvent {
  const parsed = parseInput(usageEventInput, input);
  const quantity = parseDecimal(parsed.quantity);
  if (!quantity.ok) throw ValidationError.forField(['quantity'], quantity.reason);
  if (!quantity.value.greaterThan(0))
    throw ValidationError.forField(['quantity'], 'must be greater than 0');
  if (!options.knownMeters.has(parsed.meter)) {
    throw ValidationError.forField(
      ['meter'],
      `unknown meter "${parsed.meter}"; see the meters query`,
    );
  }
  const metadata = parsed.metadata ?? null;
  const metadataProblem = jsonProblem(metadata, USAGE_LIMITS.maxMetadataDepth);
  if (metadataProblem) {
    throw ValidationError.forField(
      ['metadata'],
      metadataProblem === 'is nested too deeply'
        ? `must be nested at most ${USAGE_LIMITS.maxMetadataDepth} levels deep`
        : `strings in it ${metadataProblem}`,
    );
  }
  if (
    metadata !== null &&
    Buffer.byteLength(JSON.stringify(metadata), 'utf8') > USAGE_LIMITS.maxMetadataBytes
  ) {
    throw ValidationError.forField(
      ['metadata'],
      `must be at most ${USAGE_LIMITS.maxMetadataBytes} bytes of JSON`,
    );
  }

  const occurredAt = parsed.occurredAt ?? options.now;
  if (occurredAt.getTime() > options.now.getTime() + USAGE_LIMITS.maxFutureMs) {
    throw ValidationError.forField(['occurredAt'], 'is more than 5 minutes in the future');
  }
  if (occurredAt < options.organizationCreatedAt) {
    throw ValidationError.forField(
      ['occurredAt'],
      `is before the organization was created (${options.organizationCreatedAt.toISOString()}): no plan bills usage from then`,
    );
  }
  const period = calendarMonthOf(occurredAt);
  const closesAt = new Date(period.end.getTime() + options.graceMs);
  if (options.now >= closesAt) {
    throw ValidationError.forField(
      ['occurredAt'],
      `lies in the period ${period.start.toISOString().slice(0, 7)}, closed for usage since ${closesAt.toISOString()} (${options.graceMs / 3_600_000} h after it ended)`,
    );
  }
  return {
    meterKey: parsed.meter,
    quantity: quantity.value,
    idempotencyKey: parsed.idempotencyKey,
    occurredAt,
    period,
    metadata,
  };
}
