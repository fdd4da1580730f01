import { appliesTo, type Fault, type RequestFilter } from './faults.ts';

export interface RandomFailRule extends RequestFilter {
  /** Chance (0–1) that a matching request fails. */
  probability: number;
  /** Statuses to pick from at random (default both); ignored with `afterApplying`. */
  statuses?: (429 | 500)[];
  /** Seed of the deterministic generator (default 1): the same requests fail on every run. */
  seed?: number;
  /**
   * false (default): a failed request does nothing and stores no idempotency key, so a retry
   * runs afresh. true: the request is carried out (and its key stored with the real answer), but
   * the client gets a 500; a retry with the same Idempotency-Key replays the real answer.
   */
  afterApplying?: boolean;
}

interface Armed {
  rule: RandomFailRule;
  statuses: (429 | 500)[];
  random: () => number;
}

/** Failures drawn at random for every matching request, until switched off. */
export class RandomFaults {
  private armed: Armed | null = null;

  set(rule: RandomFailRule | null): void {
    if (rule === null) {
      this.armed = null;
      return;
    }
    if (!(rule.probability >= 0 && rule.probability <= 1)) {
      throw new Error(`failRandomly: probability must be between 0 and 1, got ${rule.probability}`);
    }
    const statuses = rule.statuses ?? [429, 500];
    if (statuses.length === 0) throw new Error('failRandomly: statuses must not be empty');
    this.armed = { rule, statuses: [...statuses], random: mulberry32(rule.seed ?? 1) };
  }

  /** The fault for this request, if the rule matches and the draw says so. */
  take(method: string, path: string): Fault | null {
    const armed = this.armed;
    if (!armed || !appliesTo(armed.rule, method, path)) return null;
    if (armed.random() >= armed.rule.probability) return null;
    if (armed.rule.afterApplying) return { kind: 'lose' };
    const status = armed.statuses[Math.floor(armed.random() * armed.statuses.length)] ?? 500;
    return { kind: 'fail', status, retryAfterSeconds: 0 };
  }
}

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
