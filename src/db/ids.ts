import { randomFillSync } from 'node:crypto';

/**
 * Identifiers with a type prefix, as Stripe writes them ("org_01JF6..."): a 48-bit millisecond
 * timestamp and 80 random bits in Crockford base32, so ids sort by creation time (which keeps
 * cursor pagination by id stable) and tell what they point at when they show up in a log.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdPrefix =
  | 'org'
  | 'key'
  | 'plan'
  | 'sub'
  | 'evt'
  | 'alrt'
  | 'we'
  | 'whd'
  | 'eml'
  | 'pro'
  | 'pas'
  | 'inv'
  | 'il'
  | 'irf';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let time = '';
  let remaining = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[remaining % 32] + time;
    remaining = Math.floor(remaining / 32);
  }
  return `${prefix}_${time}${tailFor(now)}`;
}

/**
 * The random part. Within one millisecond ids follow each other (the previous tail plus one, as
 * monotonic ULIDs do), so that rows made together, such as the alerts one event fires, sort in
 * the order they were made.
 */
let lastTime = -1;
let lastTail: number[] = [];

function tailFor(now: number): string {
  if (now === lastTime) {
    for (let i = lastTail.length - 1; i >= 0; i--) {
      const digit = (lastTail[i] ?? 0) + 1;
      lastTail[i] = digit % 32;
      if (digit < 32) break;
    }
  } else {
    lastTime = now;
    // The top bit stays clear so that a millisecond's increments never run over.
    lastTail = Array.from({ length: 16 }, (_, i) => nextRandomByte() % (i === 0 ? 16 : 32));
  }
  return lastTail.map((digit) => CROCKFORD[digit]).join('');
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
