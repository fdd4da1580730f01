import { z } from 'zod';
import { parseDecimal } from '../../billing/decimal.ts';

/**
 * An exact, non-negative decimal from text (null or absent: null), in its canonical form; the
 * reason in the field's error otherwise.
 */
export const nonNegativeDecimal = () =>
  z
    .string()
    .max(64)
    .nullish()
    .transform((text, context) => {
      if (text === null || text === undefined) return null;
      const parsed = parseDecimal(text);
      if (!parsed.ok || parsed.value.isNegative()) {
        context.addIssue({
          code: 'custom',
          message: parsed.ok ? 'must not be negative' : parsed.reason,
          path: [],
        });
        return z.NEVER;
      }
      return parsed.value.toFixed();
    });
