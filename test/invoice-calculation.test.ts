import { describe, expect, it } from 'vitest';
import { Decimal } from '../src/billing/decimal.ts';
import { computeInvoice, type InvoiceInput } from '../src/billing/invoice.ts';
import { calendarMonthOf } from '../src/billing/period.ts';
import type { EffectiveQuota } from '../src/billing/quota.ts';

/** The invoice calculation as a pure function: exact amounts, rounded once per line. */
const month = calendarMonthOf(new Date('2026-02-10T00:00:00Z'));
const d = (value: string) => new Decimal(value);

function quota(partial: Partial<EffectiveQuota>): EffectiveQuota {
  return {
    limit: null,
    mode: 'SOFT',
    overageUnitPrice: null,
    overageTiers: null,
    source: 'plan',
    ...partial,
  };
}

function input(partial: Partial<InvoiceInput>): InvoiceInput {
  return {
    currency: 'usd',
    plan: { name: 'Growth', basePriceAmount: 19_900n },
    period: month,
    month,
    meters: [],
    adjustments: [],
    subscriptionBilledByStripe: false,
    ...partial,
  };
}

const meter = (key: string, used: string, q: Partial<EffectiveQuota>) => ({
  key,
  unit: 'request',
  aggregation: 'SUM' as const,
  used: d(used),
  quota: quota(q),
});

describe('computeInvoice', () => {
  it('bills overage only for OVERAGE meters past their included quantity', () => {
    const invoice = computeInvoice(
      input({
        meters: [
          meter('over', '1000001', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0003'),
          }),
          meter('under', '999999', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0003'),
          }),
          meter('hard', '5000', { limit: d('10'), mode: 'HARD' }),
          meter('soft', '5000', { limit: d('10'), mode: 'SOFT' }),
          meter('unlimited', '5000', { limit: null, mode: 'OVERAGE', overageUnitPrice: d('1') }),
        ],
      }),
    );
    expect(invoice.lines.map((l) => [l.kind, l.meterKey])).toEqual([
      ['BASE', null],
      ['OVERAGE', 'over'],
    ]);
  });

  it('rounds each line once, half away from zero: 1 × $0.0003 is $0.00; 25 × $0.0002 is $0.01', () => {
    const invoice = computeInvoice(
      input({
        meters: [
          meter('a', '1000001', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0003'),
          }),
          meter('b', '1000025', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0002'),
          }),
          meter('c', '1000015', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0003'),
          }),
        ],
      }),
    );
    // 15 × $0.0003 = $0.0045 → $0.00; 25 × $0.0002 = $0.005 → $0.01.
    expect(invoice.lines.slice(1).map((l) => l.amount.amount)).toEqual([0n, 1n, 0n]);
    expect(invoice.total.amount).toBe(19_901n);
  });

  it('prorates a first partial month by the second: from Feb 15 00:00 is 14 of 28 days, $99.50', () => {
    const invoice = computeInvoice(
      input({ period: { start: new Date('2026-02-15T00:00:00Z'), end: month.end } }),
    );
    expect(invoice.lines[0]).toMatchObject({
      description: 'Growth plan, February 2026 from 2026-02-15 (prorated)',
      amount: { amount: 9950n },
    });
  });

  it('bills no base for a month spent in trial', () => {
    const invoice = computeInvoice(input({ period: { start: month.end, end: month.end } }));
    expect(invoice.lines[0]).toMatchObject({
      description: 'Growth plan, February 2026 (trial)',
      amount: { amount: 0n },
    });
  });

  it('total = base + overage + proration − credits; the subtotal leaves credits out', () => {
    const invoice = computeInvoice(
      input({
        adjustments: [
          { kind: 'PRORATION', description: 'unused', amount: -2450n },
          { kind: 'PRORATION', description: 'remaining', amount: 9950n },
          { kind: 'CREDIT', description: 'goodwill', amount: -1000n },
        ],
      }),
    );
    expect(invoice.subtotal.amount).toBe(19_900n - 2450n + 9950n);
    expect(invoice.total.amount).toBe(19_900n - 2450n + 9950n - 1000n);
    expect(invoice.amountDue.amount).toBe(invoice.total.amount);
  });

  it('with a Stripe subscription, the base and prorations are prepaid: only the rest is due', () => {
    const invoice = computeInvoice(
      input({
        subscriptionBilledByStripe: true,
        meters: [
          meter('over', '1250000', {
            limit: d('1000000'),
            mode: 'OVERAGE',
            overageUnitPrice: d('0.0003'),
          }),
        ],
        adjustments: [{ kind: 'PRORATION', description: 'remaining', amount: 9950n }],
      }),
    );
    expect(invoice.lines.map((l) => [l.kind, l.prepaid])).toEqual([
      ['BASE', true],
      ['OVERAGE', false],
      ['PRORATION', true],
    ]);
    expect(invoice.total.amount).toBe(19_900n + 7500n + 9950n);
    expect(invoice.amountDue.amount).toBe(7500n);
  });

  it('never asks for less than nothing', () => {
    const invoice = computeInvoice(
      input({
        plan: { name: 'Free', basePriceAmount: 0n },
        adjustments: [{ kind: 'CREDIT', description: 'refund', amount: -500n }],
      }),
    );
    expect(invoice.total.amount).toBe(-500n);
    expect(invoice.amountDue.amount).toBe(0n);
  });
});
