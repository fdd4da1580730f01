import { randomFillSync } from 'node:crypto';

/**
 * Identifiers with a type prefix, as Stripe writes them ("org_01JF6..."): a 48-bit millisecond
 * timestamp and 80 random bits in Crockford base32, so ids sort by creation time (which keeps
 * cursor pagination by id stable) and tell what they point at when they show up in a log.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdPrefix = 'org' | 'key' | 'plan' | 'sub' | 'evt';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let time = '';
  let remaining = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[remaining % 32] + time;
    remaining = Math.floor(remaining / 32);
  }
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[nextRandomByte() % 32];
  return `${prefix}_${time}${tail}`;
}

// Random bytes drawn 4 KiB at a time: a bulk request makes ten thousand ids.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function nextRandomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++] as number;
}
