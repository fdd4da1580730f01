import { describe, expect, it } from 'vitest';
import { displayPrefixOf, generateKeySecret, hashKeySecret } from '../src/auth/key-secrets.ts';
import { calendarMonthOf, firstPeriodFrom } from '../src/billing/period.ts';
import { newId } from '../src/db/ids.ts';

describe('billing periods', () => {
  it('are calendar months in UTC, the end exclusive', () => {
    expect(calendarMonthOf(new Date('2026-02-28T23:59:59.999Z'))).toEqual({
      start: new Date('2026-02-01T00:00:00.000Z'),
      end: new Date('2026-03-01T00:00:00.000Z'),
    });
    expect(calendarMonthOf(new Date('2026-03-01T00:00:00.000Z')).start).toEqual(
      new Date('2026-03-01T00:00:00.000Z'),
    );
    expect(calendarMonthOf(new Date('2026-12-31T23:59:59.999Z')).end).toEqual(
      new Date('2027-01-01T00:00:00.000Z'),
    );
  });

  it('start mid-month with a first period running to the next 1st', () => {
    expect(firstPeriodFrom(new Date('2026-11-21T16:00:00.000Z'))).toEqual({
      start: new Date('2026-11-21T16:00:00.000Z'),
      end: new Date('2026-12-01T00:00:00.000Z'),
    });
  });
});

describe('identifiers', () => {
  it('carry their type and sort by creation time', () => {
    const earlier = newId('org', Date.UTC(2026, 0, 1));
    const later = newId('org', Date.UTC(2026, 0, 2));
    expect(earlier).toMatch(/^org_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier < later).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newId('key'))).size).toBe(1000);
    // Made within one millisecond, they still sort in the order they were made.
    const sameMillisecond = Array.from({ length: 50 }, () => newId('alrt', Date.UTC(2026, 0, 1)));
    expect([...sameMillisecond].sort()).toEqual(sameMillisecond);
  });
});

describe('API key secrets', () => {
  it('are recognisable, random, and stored only as a hash', () => {
    const secret = generateKeySecret();
    expect(secret).toMatch(/^bsk_[0-9A-Za-z]{40}$/);
    expect(generateKeySecret()).not.toBe(secret);
    expect(hashKeySecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKeySecret(secret)).not.toContain(secret.slice(4, 12));
    expect(displayPrefixOf(secret)).toBe(secret.slice(0, 8));
  });
});
