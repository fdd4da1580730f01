import Stripe from 'stripe';
import type { Logger } from '../logger.ts';
import { type Budget, LocalBudget } from './budget.ts';
import { endpointOf, type StripePacing } from './rate-limits.ts';
import { SharedBudget } from './shared-budget.ts';

/**
 * The longest a request waits for its turn. Past it, it is sent anyway (logged): pacing makes
 * 429s rare, stripe-node's retries (STRIPE_MAX_NETWORK_RETRIES) handle the rest, and billing is
 * never held up by the pacer itself.
 */
const MAX_WAIT_MS = 30_000;

export interface PacerOptions {
  /** Redis shared by every instance (REDIS_URL); unset: this process paces alone. */
  redisUrl?: string | undefined;
  /** What the shared budget belongs to (the secret key: it is hashed, never stored). */
  scope?: string;
  log?: Logger;
  maxWaitMs?: number;
}

/**
 * Spaces requests to Stripe so that, all instances together, they stay under Stripe's limits:
 * `perSecond` overall and `perEndpointPerSecond` per endpoint (see rate-limits.ts), retries
 * included (each attempt takes its turn). With Redis the budget is shared by every instance
 * using the same key; without it, or while Redis is unreachable, this process paces alone, to
 * its share: the budget divided by the instances Redis last saw drawing from it (all of it when
 * it never saw any). Within a process, requests to one endpoint take their turns in order.
 */
export class StripePacer {
  readonly #overallInterval: number;
  readonly #endpointInterval: number;
  readonly #local = new LocalBudget();
  readonly #shared: SharedBudget | null;
  readonly #log: Logger | undefined;
  readonly #maxWaitMs: number;
  /** The last request of each endpoint waiting here (in-process order per endpoint). */
  readonly #queues = new Map<string, Promise<void>>();
  #warnedLate = false;

  constructor(
    pacing: Pick<StripePacing, 'perSecond' | 'perEndpointPerSecond'>,
    options: PacerOptions = {},
  ) {
    this.#overallInterval = 1000 / pacing.perSecond;
    this.#endpointInterval = 1000 / pacing.perEndpointPerSecond;
    this.#shared = options.redisUrl
      ? new SharedBudget(options.redisUrl, options.scope ?? '', options.log)
      : null;
    this.#log = options.log;
    this.#maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  }

  /** Resolves when a request to `method path` may be sent; never rejects. */
  async slot(method: string, path: string): Promise<void> {
    const endpoint = endpointOf(method, path);
    const before = this.#queues.get(endpoint) ?? Promise.resolve();
    const turn = before.then(() => this.#wait(endpoint));
    this.#queues.set(endpoint, turn);
    try {
      await turn;
    } finally {
      if (this.#queues.get(endpoint) === turn) this.#queues.delete(endpoint);
    }
  }

  async close(): Promise<void> {
    await this.#shared?.close();
  }

  async #wait(endpoint: string): Promise<void> {
    const deadline = performance.now() + this.#maxWaitMs;
    // Each round waits at least a millisecond: bounded by the deadline, and by this count.
    for (let round = 0; round < 100_000; round++) {
      const wait = await this.#take(endpoint);
      if (wait <= 0) return;
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.ceil(wait), left)));
    }
    if (!this.#warnedLate) {
      this.#warnedLate = true;
      this.#log?.warn(
        { endpoint, waitedMs: this.#maxWaitMs },
        'Stripe request sent without waiting longer for its turn (logged once)',
      );
    }
  }

  async #take(endpoint: string): Promise<number> {
    const shared = this.#shared;
    if (shared && (await shared.usable())) {
      try {
        return await shared.take(this.#budgets(endpoint, 1));
      } catch {
        // Unreachable or too slow: this request goes by the local budget (SharedBudget logs it).
      }
    }
    return this.#local.take(this.#budgets(endpoint, shared?.instances ?? 1));
  }

  /** The request's two budgets, each with `share` instances drawing from it. */
  #budgets(endpoint: string, share: number): Budget[] {
    return [
      { key: 'all', interval: this.#overallInterval * share },
      { key: `endpoint:${endpoint}`, interval: this.#endpointInterval * share },
    ];
  }
}

/** stripe-node's own HTTP client, each request (and each retry) waiting for its turn first. */
export function pacedHttpClient(pacer: StripePacer): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  const paced = Object.create(inner) as Stripe.HttpClient;
  paced.makeRequest = async (...args: Parameters<Stripe.HttpClient['makeRequest']>) => {
    const [, , path, method] = args;
    await pacer.slot(method, path);
    return inner.makeRequest(...args);
  };
  return paced;
}
