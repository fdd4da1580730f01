import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { realNow } from './clock.ts';
import type { StripeEvent } from './types.ts';

export interface Delivery {
  eventId: string;
  type: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  status: number | null;
}

const TIMEOUT_MS = 10_000;

/**
 * `Stripe-Signature` exactly as stripe-node's generateTestHeaderString builds it. The timestamp
 * is real time, not the fake clock: receivers check it against their own clock (5 min window).
 */
export function signatureHeader(payload: string, secret: string, timestamp = realNow()): string {
  const signature = createHmac('sha256', secret)
    .update(`${timestamp}.${payload}`, 'utf8')
    .digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/**
 * Delivers events to the webhook URL one at a time, in the order produced, never retrying (tests
 * decide what a failed delivery means). Delivery runs on its own promise chain, so it never
 * holds up an API response.
 */
export class Webhooks {
  url: string | null;
  readonly secret: string;
  readonly deliveries: Delivery[] = [];
  private copies = 1;
  private delayMs = 0;
  private holding = false;
  private held: StripeEvent[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(url: string | null, secret: string) {
    this.url = url;
    this.secret = secret;
  }

  duplicate(times: number): void {
    this.copies = Math.max(1, Math.floor(times));
  }

  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  hold(): void {
    this.holding = true;
  }

  /** Delivers the held events in the given order and stops holding. */
  async release(order: 'as-sent' | 'reverse' = 'as-sent'): Promise<void> {
    const events = order === 'reverse' ? [...this.held].reverse() : this.held;
    this.held = [];
    this.holding = false;
    this.enqueue(events);
    await this.flush();
  }

  /** Resolves once every queued delivery has been attempted (held events are not queued). */
  async flush(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.chain;
      await current;
    } while (current !== this.chain);
  }

  /** Hands a batch of just-produced events to delivery. */
  publish(events: StripeEvent[]): void {
    if (events.length === 0) return;
    if (this.holding) {
      this.held.push(...events);
      return;
    }
    if (this.url !== null) this.enqueue(events);
  }

  private enqueue(events: StripeEvent[]): void {
    for (const event of events) {
      const payload = JSON.stringify(event, null, 2);
      const copies = this.copies;
      for (let copy = 0; copy < copies; copy++) {
        this.chain = this.chain.then(() => this.deliver(event, payload));
      }
    }
  }

  private async deliver(event: StripeEvent, payload: string): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const url = this.url;
    if (url === null) return;
    const status = await post(url, payload, signatureHeader(payload, this.secret));
    this.deliveries.push({ eventId: event.id, type: event.type, status });
  }
}

/** POSTs the payload; resolves with the status, or null on a network error or timeout. */
function post(url: string, payload: string, signature: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks) stripe-fake',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? null));
        res.on('error', () => resolve(res.statusCode ?? null));
      },
    );
    req.on('timeout', () => req.destroy(new Error('webhook delivery timed out')));
    req.on('error', () => resolve(null));
    req.end(payload);
  });
}
