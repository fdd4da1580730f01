import type { Decimal } from './decimal.ts';

/**
 * A meter's unit as it reads after a quantity: "1 request", "250,000 requests", "1.5 seats".
 * Symbols (GB, kWh, any unit with a capital after its first letter or a non-letter) do not take
 * a plural ("30 GB"); words take English's regular one ("queries", "boxes", "hours").
 */
export function unitFor(quantity: Decimal, unit: string): string {
  if (quantity.abs().equals(1) || !/^[A-Za-z][a-z]*$/.test(unit)) return unit;
  if (/[^aeiou]y$/.test(unit)) return `${unit.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(unit)) return `${unit}es`;
  return `${unit}s`;
}
