/**
 * Stripe's global rate limiter: at most `perSecond` API requests in any sliding one-second
 * window (real time, not the fake clock). Only admitted requests fill the window, so a client
 * that backs off gets through once older requests age out.
 */
export class RateLimiter {
  /** Requests refused so far. */
  refused = 0;
  private perSecond: number | null = null;
  /** performance.now() of the requests admitted in the last second. */
  private admitted: number[] = [];

  constructor(perSecond: number | null = null) {
    this.set(perSecond);
  }

  /** `null` switches the limiter off. */
  set(perSecond: number | null): void {
    if (perSecond !== null && !(perSecond >= 0)) {
      throw new Error(`setRateLimit: expected a number ≥ 0 or null, got ${perSecond}`);
    }
    this.perSecond = perSecond;
  }

  /** Whether a request arriving now may proceed; counts it in the window if so. */
  admit(now = performance.now()): boolean {
    while ((this.admitted[0] ?? now) <= now - 1000) this.admitted.shift();
    if (this.perSecond !== null && this.admitted.length >= this.perSecond) {
      this.refused += 1;
      return false;
    }
    this.admitted.push(now);
    return true;
  }
}
