import Stripe from 'stripe';

/**
 * Spaces requests to Stripe evenly at no more than `perSecond`, across everything this process
 * sends (retries included), so a large invoice run stays under Stripe's rate limit instead of
 * meeting a storm of 429s. Each request waits for its slot.
 */
export class RequestPacer {
  readonly #interval: number;
  #next = 0;

  constructor(perSecond: number) {
    this.#interval = 1000 / perSecond;
  }

  async slot(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#interval;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

/** stripe-node's own HTTP client, each request waiting for its slot first. */
export function pacedHttpClient(pacer: RequestPacer): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  const paced = Object.create(inner) as Stripe.HttpClient;
  paced.makeRequest = async (...args: Parameters<Stripe.HttpClient['makeRequest']>) => {
    await pacer.slot();
    return inner.makeRequest(...args);
  };
  return paced;
}
