/** One budget a request draws from: on average `interval` ms between two of its requests. */
export interface Budget {
  key: string;
  interval: number;
}

/**
 * The same counters as SharedBudget (GCRA: a request may go once each of its budgets' theoretical
 * arrival time has come, and moves each one interval on), kept in this process: when there is no
 * Redis, and while it is unreachable.
 */
export class LocalBudget {
  readonly #tats = new Map<string, number>();

  /** 0 when the request may go now (it is counted), else how many ms to wait. */
  take(budgets: Budget[], now = performance.now()): number {
    let wait = 0;
    for (const budget of budgets) {
      wait = Math.max(wait, (this.#tats.get(budget.key) ?? 0) - now);
    }
    if (wait > 0) return wait;
    for (const budget of budgets) {
      this.#tats.set(budget.key, Math.max(this.#tats.get(budget.key) ?? 0, now) + budget.interval);
    }
    // Endpoints come and go: forget the counters that are in the past (they mean "free").
    if (this.#tats.size > 1_000) {
      for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
    }
    return 0;
  }
}
