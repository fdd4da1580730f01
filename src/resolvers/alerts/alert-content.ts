import { Decimal } from '../../billing/decimal.ts';
import type { ThresholdAlertRow } from '../../db/schema.ts';

/** What an alert says, in the webhook body and in the e-mail. */
export interface AlertFacts {
  id: string;
  organizationId: string;
  meter: string;
  threshold: number;
  used: string;
  limit: string;
  pct: number;
  periodStart: string;
  crossedAt: string;
}

export function alertFacts(alert: ThresholdAlertRow): AlertFacts {
  const used = new Decimal(alert.used);
  const limit = new Decimal(alert.limitQuantity);
  return {
    id: alert.id,
    organizationId: alert.organizationId,
    meter: alert.meterKey,
    threshold: alert.threshold,
    used: used.toFixed(),
    limit: limit.toFixed(),
    pct: limit.isZero() ? 100 : used.dividedBy(limit).times(100).toDecimalPlaces(2).toNumber(),
    periodStart: alert.periodStart.toISOString(),
    crossedAt: alert.crossedAt.toISOString(),
  };
}

const numbers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 12 });

export function alertEmail(facts: AlertFacts, organizationName: string, unit: string) {
  const used = numbers.format(facts.used as Intl.StringNumericLiteral);
  const limit = numbers.format(facts.limit as Intl.StringNumericLiteral);
  const month = facts.periodStart.slice(0, 7);
  return {
    subject: `[Billing] ${facts.meter} reached ${facts.threshold} % of its limit`,
    body: [
      `${organizationName} has used ${used} of ${limit} ${plural(unit)} of ${facts.meter} in ${month} (${facts.pct} %).`,
      '',
      `The ${facts.threshold} % threshold was crossed at ${facts.crossedAt}.`,
      facts.threshold >= 100
        ? 'The limit is reached. Depending on the plan, further usage is refused, billed as overage, or allowed with a warning.'
        : 'Nothing is blocked yet.',
    ].join('\n'),
  };
}

/** "request" → "requests"; symbols such as "GB" stay as they are. */
function plural(unit: string): string {
  return /^[a-z]+$/.test(unit) && !unit.endsWith('s') ? `${unit}s` : unit;
}
