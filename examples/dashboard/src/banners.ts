import type { MeterBarFragment, PlanSummaryFragment } from './gql/graphql.ts';
import { statusOf } from './meters.ts';

type BannerLevel = 'PAST_DUE' | 'EXCEEDED' | 'AT_LIMIT' | 'WARNING';

export interface Banner {
  level: BannerLevel;
  /** What it is about: the subscription, or a meter's key. */
  subject: string;
  text: string;
}

const pct = (value: number | null | undefined) => `${Math.floor(value ?? 0)} %`;

/**
 * What the page warns about, most urgent first: a past-due subscription, then each meter past
 * its limit (EXCEEDED, from 100 %), then each HARD quota used exactly to its limit (AT_LIMIT: see
 * statusOf), then each meter at 75 % or more (WARNING). The server decides a meter's status; the
 * page only tells AT_LIMIT from EXCEEDED.
 */
export function bannersFor(
  subscription: PlanSummaryFragment | null | undefined,
  usage: readonly MeterBarFragment[],
): Banner[] {
  const banners: Banner[] = [];
  if (subscription?.status === 'PAST_DUE') {
    banners.push({
      level: 'PAST_DUE',
      subject: 'subscription',
      text: 'Payment failed: the subscription is past due. Update the payment method to keep the plan.',
    });
  }
  for (const level of ['EXCEEDED', 'AT_LIMIT', 'WARNING'] as const) {
    for (const meter of usage) {
      if (statusOf(meter) !== level) continue;
      banners.push({ level, subject: meter.meter.key, text: meterText(level, meter) });
    }
  }
  return banners;
}

function meterText(level: Exclude<BannerLevel, 'PAST_DUE'>, meter: MeterBarFragment): string {
  const what =
    level === 'AT_LIMIT'
      ? `${meter.meter.name}: at the limit`
      : `${meter.meter.name}: ${pct(meter.pct)} of the limit used`;
  const consequence =
    level === 'WARNING'
      ? ''
      : meter.blocked
        ? ' Further usage is refused until the next period or an upgrade.'
        : meter.mode === 'OVERAGE'
          ? ` Usage above the limit is billed as overage (${meter.overageCost.formatted} so far).`
          : '';
  return `${what}.${consequence}`;
}
