import type { Aggregation } from './aggregation.ts';
import { Decimal } from './decimal.ts';
import { formatUnitPrice, type Money, money, roundToMinorUnits } from './money.ts';
import type { Period } from './period.ts';
import { type OverageTier, overageAmount, overageUnits } from './pricing.ts';
import { priceOfPart } from './proration.ts';
import type { EffectiveQuota } from './quota.ts';
import { unitFor } from './units.ts';

type LineItemKind = 'BASE' | 'OVERAGE' | 'PRORATION' | 'CREDIT';

/** One line of an invoice, as a person checks it. */
export interface InvoiceLine {
  kind: LineItemKind;
  description: string;
  meterKey: string | null;
  used: Decimal | null;
  included: Decimal | null;
  excess: Decimal | null;
  unitPrice: Decimal | null;
  rateDescription: string | null;
  amount: Money;
  /** Billed already by the Stripe subscription: the base in advance, prorations at the change. */
  prepaid: boolean;
}

export interface InvoiceInput {
  currency: string;
  plan: { name: string; basePriceAmount: bigint };
  /** The base is charged yearly (as a BASE adjustment when the year begins), not this month. */
  billedYearly?: boolean;
  /** What the base bills: the month, or from a mid-month start (or the end of a trial) to the next 1st. */
  period: Period;
  /** The whole calendar month of the period (the base is prorated by its seconds). */
  month: Period;
  meters: {
    key: string;
    unit: string;
    aggregation: Aggregation;
    used: Decimal;
    quota: EffectiveQuota;
  }[];
  /** Prorations, credits and a year's base charged this month. */
  adjustments: { kind: 'PRORATION' | 'CREDIT' | 'BASE'; description: string; amount: bigint }[];
  /** A Stripe subscription bills the base and the prorations itself: those lines are prepaid. */
  subscriptionBilledByStripe: boolean;
}

export interface ComputedInvoice {
  lines: InvoiceLine[];
  subtotal: Money;
  total: Money;
  /** What the invoice collects: the lines not prepaid, never below zero. */
  amountDue: Money;
}

/**
 * The invoice of a period, as a pure function of its inputs: the flat base of the plan (prorated
 * by the second for a first partial month), one overage line per OVERAGE meter used past its
 * included quantity (each rounded once, half away from zero), then prorations and credits.
 * SOFT and HARD meters never produce overage lines; unlimited meters neither.
 * total = base + overage + proration − credits.
 */
export function computeInvoice(input: InvoiceInput): ComputedInvoice {
  const prepaid = input.subscriptionBilledByStripe;
  const lines: InvoiceLine[] = [{ ...baseLine(input), prepaid }];
  for (const meter of input.meters) {
    const line = overageLine(meter, input.currency);
    if (line) lines.push({ ...line, prepaid: false });
  }
  for (const adjustment of input.adjustments) {
    lines.push({
      ...amountOnlyLine(adjustment.kind, adjustment.description, adjustment.amount, input.currency),
      prepaid: prepaid && adjustment.kind !== 'CREDIT',
    });
  }
  const sumOf = (some: InvoiceLine[]) => some.reduce((t, line) => t + line.amount.amount, 0n);
  const sum = sumOf(lines);
  const subtotal = sumOf(lines.filter((l) => l.kind !== 'CREDIT'));
  const due = sumOf(lines.filter((l) => !l.prepaid));
  return {
    lines,
    subtotal: money(subtotal, input.currency),
    total: money(sum, input.currency),
    amountDue: money(due > 0n ? due : 0n, input.currency),
  };
}

// toLocaleString with options builds a formatter per call; one is shared instead.
const MONTH_NAME = new Intl.DateTimeFormat('en-US', {
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/** A line that bills an amount, not usage: the base price, a proration, a credit. */
function amountOnlyLine(
  kind: InvoiceLine['kind'],
  description: string,
  amount: bigint,
  currency: string,
): Omit<InvoiceLine, 'prepaid'> {
  return {
    kind,
    description,
    meterKey: null,
    used: null,
    included: null,
    excess: null,
    unitPrice: null,
    rateDescription: null,
    amount: money(amount, currency),
  };
}

function baseLine(input: InvoiceInput): Omit<InvoiceLine, 'prepaid'> {
  const { period, month, plan } = input;
  const monthName = MONTH_NAME.format(month.start);
  const line = (description: string, amount: bigint) =>
    amountOnlyLine('BASE', description, amount, input.currency);
  if (input.billedYearly) return line(`${plan.name} plan, ${monthName} (billed yearly)`, 0n);
  if (period.start.getTime() === month.start.getTime()) {
    return line(`${plan.name} plan, ${monthName}`, plan.basePriceAmount);
  }
  if (period.start >= period.end) return line(`${plan.name} plan, ${monthName} (trial)`, 0n);
  return line(
    `${plan.name} plan, ${monthName} from ${period.start.toISOString().slice(0, 10)} (prorated)`,
    priceOfPart(plan.basePriceAmount, period, month),
  );
}

function overageLine(
  meter: InvoiceInput['meters'][number],
  currency: string,
): Omit<InvoiceLine, 'prepaid'> | null {
  const { quota } = meter;
  if (quota.mode !== 'OVERAGE' || quota.limit === null || !meter.used.greaterThan(quota.limit))
    return null;
  const terms = {
    included: quota.limit,
    unitPrice: quota.overageUnitPrice,
    tiers: quota.overageTiers,
  };
  const excess = overageUnits(meter.used, quota.limit);
  return {
    kind: 'OVERAGE',
    description: `${meter.key}: ${formatQuantity(excess)} ${unitFor(excess, meter.unit)} over the included ${formatQuantity(quota.limit)}`,
    meterKey: meter.key,
    used: meter.used,
    included: quota.limit,
    excess,
    unitPrice: quota.overageUnitPrice,
    rateDescription: rateDescription(
      quota.limit,
      quota.overageUnitPrice,
      quota.overageTiers,
      meter.unit,
      currency,
    ),
    amount: roundToMinorUnits(overageAmount(meter.used, terms), currency),
  };
}

/** For people: "$0.0003 per request over 1,000,000", or the tiers in order. */
function rateDescription(
  included: Decimal,
  unitPrice: Decimal | null,
  tiers: OverageTier[] | null,
  unit: string,
  currency: string,
): string {
  if (unitPrice)
    return `${formatUnitPrice(unitPrice, currency)} per ${unit} over ${formatQuantity(included)}`;
  let from = included;
  const parts: string[] = [];
  for (const tier of tiers ?? []) {
    const upTo = tier.upTo === null ? null : new Decimal(tier.upTo);
    if (upTo !== null && !upTo.greaterThan(from)) continue;
    const price = formatUnitPrice(tier.unitPrice, currency);
    parts.push(
      upTo === null
        ? `${price} per ${unit} over ${formatQuantity(from)}`
        : `${price} per ${unit} from ${formatQuantity(from)} to ${formatQuantity(upTo)}`,
    );
    if (upTo === null) break;
    from = upTo;
  }
  return parts.join(', then ');
}

const quantities = new Intl.NumberFormat('en-US', { maximumFractionDigits: 12 });

function formatQuantity(value: Decimal): string {
  return quantities.format(value.toFixed() as Intl.StringNumericLiteral);
}
