import { describe, expect, it } from 'vitest';
import { checkoutTiming } from '../src/stripe/gateway.ts';

const at = (iso: string) => new Date(iso);

describe('a Checkout session anchored to the 1st', () => {
  it('anchors to the 1st after the trial, the session open for Stripe’s 24 hours', () => {
    expect(checkoutTiming(at('2026-12-02T10:00:00Z'), 14)).toEqual({
      anchor: at('2027-01-01T00:00:00Z'),
      expiresAt: at('2026-12-03T10:00:00Z'),
    });
  });

  it('closes the session before a late completion could end the trial past the anchor', () => {
    // The trial of a session completed at 23:59 on Dec 17 ends a minute before the 1st.
    expect(checkoutTiming(at('2026-12-17T10:00:00Z'), 14)).toEqual({
      anchor: at('2027-01-01T00:00:00Z'),
      expiresAt: at('2026-12-17T23:59:00Z'),
    });
    expect(checkoutTiming(at('2026-12-31T20:00:00Z'), 0)).toEqual({
      anchor: at('2027-01-01T00:00:00Z'),
      expiresAt: at('2026-12-31T23:59:00Z'),
    });
  });

  it('anchors a yearly subscription to the 1st twelve months after the trial’s month', () => {
    // The trial ends on Dec 31st, 10:00 (or up to a day later): the year runs to Dec 1st, 2027.
    expect(checkoutTiming(at('2026-12-17T10:00:00Z'), 14, 'YEAR')).toEqual({
      anchor: at('2027-12-01T00:00:00Z'),
      expiresAt: at('2026-12-18T10:00:00Z'),
    });
  });

  it('anchors a month later only inside the last half hour (Stripe’s shortest session)', () => {
    expect(checkoutTiming(at('2026-12-17T23:45:00Z'), 14)).toEqual({
      anchor: at('2027-02-01T00:00:00Z'),
      expiresAt: at('2026-12-18T00:15:00Z'),
    });
  });
});
