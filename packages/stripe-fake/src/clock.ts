/**
 * The fake's notion of "now" (unix seconds). It ticks with real time plus an offset that
 * advanceTime() grows, so a long-running `npm run stripe:fake` keeps sensible timestamps.
 * While an operation runs, now() is pinned so every timestamp it writes agrees.
 */
export class Clock {
  private offset = 0;
  private pinned: number | null = null;

  now(): number {
    return this.pinned ?? realNow() + this.offset;
  }

  /** Runs `fn` with now() frozen at one value. */
  pin<T>(fn: () => T): T {
    if (this.pinned !== null) return fn();
    this.pinned = realNow() + this.offset;
    try {
      return fn();
    } finally {
      this.pinned = null;
    }
  }

  /** Moves now() to `time`; later real time keeps ticking from there. Never moves backwards. */
  setTo(time: number): void {
    if (time < this.now()) return;
    this.offset = time - realNow();
    if (this.pinned !== null) this.pinned = time;
  }
}

export function realNow(): number {
  return Math.floor(Date.now() / 1000);
}
