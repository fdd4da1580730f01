import { createHmac } from 'node:crypto';
import { request, type ServerResponse } from 'node:http';
import { realNow } from './clock.ts';
import { API_VERSION } from './events.ts';
import type { StripeEvent } from './types.ts';

export interface Delivery {
  eventId: string;
  type: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  status: number | null;
  /** 1 for the first attempt at this event, 2 for its first retry, ... */
  attempt: number;
  /** The fake clock's time the attempt stands for (a retry's scheduled time). */
  at: number;
  /** The `api_version` the payload was rendered with (the endpoint's when the event was made). */
  apiVersion: string;
}

/** A failed event waiting for its next attempt. */
export interface PendingRetry {
  eventId: string;
  type: string;
  attempt: number;
  /** Fake clock time at which it is sent. */
  dueAt: number;
}

const TIMEOUT_MS = 10_000;
/** Stripe retries for up to three days in live mode. */
const RETRY_WINDOW_SECONDS = 3 * 86_400;
/** The wait before the first retry; it doubles after each failure (Stripe's "exponential backoff"). */
const FIRST_RETRY_SECONDS = 300;
/** Far more passes than any flush needs (each event has at most a dozen attempts): a safety net. */
const MAX_FLUSH_PASSES = 10_000;

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
 * The next attempt after a failed one made (or scheduled) at `attemptAt`: the wait doubles from
 * FIRST_RETRY_SECONDS, and the last attempt falls three days after the first. Null: no more.
 */
function nextAttemptAt(firstAt: number, attempt: number, attemptAt: number): number | null {
  const last = firstAt + RETRY_WINDOW_SECONDS;
  if (attemptAt >= last) return null;
  return Math.min(attemptAt + FIRST_RETRY_SECONDS * 2 ** (attempt - 1), last);
}

interface Retry {
  event: StripeEvent;
  attempt: number;
  firstAt: number;
  dueAt: number;
}

/** An API answer whose writing waits for the deliveries of the events its request produced. */
interface Answering {
  batch: Promise<void> | null;
}

export interface WebhooksOptions {
  url: string | null;
  secret: string;
  /** The fake's clock (unix seconds): retries are scheduled on it. */
  now: () => number;
  /** The webhook endpoint's API version, which payloads are rendered with. */
  apiVersion?: string;
}

/**
 * Delivers events to the webhook URL. By default as the fake always did: one at a time, in the
 * order produced, after the API response, never retried. Switches model what Stripe documents
 * (https://docs.stripe.com/webhooks): events sent before the API answer that caused them
 * (`beforeResponse`), out of order (`shuffle`), more than once (`duplicate`), and failed
 * deliveries (non-2xx or unreachable) retried with exponential backoff for up to three days of
 * the fake's clock (`retry`).
 */
export class Webhooks {
  url: string | null;
  readonly secret: string;
  readonly deliveries: Delivery[] = [];
  /**
   * The endpoint's API version, stamped on each event as it is handed to delivery (only the
   * label: data keeps the fake's shape). Like Stripe's, an event's rendering never changes after:
   * its retries carry the version it was made with.
   */
  apiVersion: string;
  private readonly now: () => number;
  private copies = 1;
  private delayMs = 0;
  private holding = false;
  private held: StripeEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Batches delivered before their API answer, each on its own chain. */
  private readonly inFlight = new Set<Promise<void>>();
  private early = false;
  private lagMs = 0;
  private answering: Answering | null = null;
  private random: (() => number) | null = null;
  private retrying = false;
  private retries: Retry[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(options: WebhooksOptions) {
    this.url = options.url;
    this.secret = options.secret;
    this.now = options.now;
    this.apiVersion = options.apiVersion ?? API_VERSION;
  }

  /** Every event is delivered `times` times (copies of a batch interleave when shuffled). */
  duplicate(times: number): void {
    this.copies = Math.max(1, Math.floor(times));
  }

  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /**
   * On: an API request's events are delivered (and their first attempts awaited) before its
   * answer is written, as when Stripe's webhook outruns the API response; `lagMs` more pass
   * before the answer of a request that made events (a slow way back to the caller, so that the
   * receiver may even have processed them).
   */
  beforeResponse(on = true, lagMs = 0): void {
    this.early = on;
    this.lagMs = Math.max(0, lagMs);
  }

  /** Each batch of events (a request's, a clock step's, a release) goes out in a seeded random order; null: in order. */
  shuffle(seed: number | null): void {
    this.random = seed === null ? null : mulberry32(seed);
  }

  /**
   * On: a failed delivery (non-2xx, unreachable, timed out) is tried again when the fake's clock
   * reaches its next attempt (5 min, then doubling, the last three days after the first). Off:
   * pending retries are dropped.
   */
  retry(on = true): void {
    this.retrying = on;
    if (!on) this.setRetries([]);
  }

  /** Retries waiting for their time, soonest first. */
  pendingRetries(): PendingRetry[] {
    return this.retries
      .map(({ event, attempt, dueAt }) => ({ eventId: event.id, type: event.type, attempt, dueAt }))
      .sort((a, b) => a.dueAt - b.dueAt);
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

  /**
   * Resolves once every queued delivery has been attempted, retries now due included (held
   * events and retries not yet due are not waited for).
   */
  async flush(): Promise<void> {
    for (let pass = 0; pass < MAX_FLUSH_PASSES; pass++) {
      this.sendDue();
      const chain = this.chain;
      const inFlight = [...this.inFlight];
      await Promise.all([chain, ...inFlight]);
      this.sendDue();
      if (chain === this.chain && this.inFlight.size === 0) return;
    }
    throw new Error('webhooks.flush: deliveries kept coming');
  }

  /** Hands a batch of just-produced events to delivery, rendered in the endpoint's version. */
  publish(produced: StripeEvent[]): void {
    this.sendDue();
    const answering = this.answering;
    this.answering = null;
    if (produced.length === 0) return;
    const apiVersion = this.apiVersion;
    const events = produced.map((event) => ({ ...event, api_version: apiVersion }));
    if (this.holding) {
      this.held.push(...events);
      return;
    }
    if (this.url === null) return;
    if (answering) {
      const batch = this.deliverAll(this.arrange(events));
      this.inFlight.add(batch);
      void batch.finally(() => this.inFlight.delete(batch));
      answering.batch = batch;
      return;
    }
    this.enqueue(events);
  }

  /**
   * Makes `res.end()` of an API answer wait, with `beforeResponse` on, for the first delivery
   * attempts of the events its request publishes right after building it (server.ts answers,
   * then publishes, synchronously).
   */
  watchAnswer(res: ServerResponse): void {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      if (!this.early) return end(...args);
      const answering: Answering = { batch: null };
      this.answering = answering;
      const lagMs = this.lagMs;
      queueMicrotask(() => {
        if (this.answering === answering) this.answering = null;
        const batch = answering.batch;
        if (!batch) return void end(...args);
        void batch
          .then(() => (lagMs > 0 ? new Promise((resolve) => setTimeout(resolve, lagMs)) : null))
          .then(() => end(...args));
      });
      return res;
    }) as ServerResponse['end'];
  }

  /** Stops the retry timer (retries not yet due are dropped). */
  stop(): void {
    this.setRetries([]);
  }

  private enqueue(events: StripeEvent[]): void {
    for (const event of this.arrange(events)) {
      const at = this.now();
      this.chain = this.chain.then(() => this.deliver(event, 1, at, at));
    }
  }

  private async deliverAll(events: StripeEvent[]): Promise<void> {
    for (const event of events) {
      const at = this.now();
      await this.deliver(event, 1, at, at);
    }
  }

  /** The batch with its copies, shuffled if asked. */
  private arrange(events: StripeEvent[]): StripeEvent[] {
    const all = events.flatMap((event) => Array.from({ length: this.copies }, () => event));
    const random = this.random;
    if (!random) return all;
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j] as StripeEvent, all[i] as StripeEvent];
    }
    return all;
  }

  private async deliver(
    event: StripeEvent,
    attempt: number,
    firstAt: number,
    at: number,
  ): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const url = this.url;
    if (url === null) return;
    const payload = JSON.stringify(event, null, 2);
    const status = await post(url, payload, signatureHeader(payload, this.secret));
    this.deliveries.push({
      eventId: event.id,
      type: event.type,
      status,
      attempt,
      at,
      apiVersion: event.api_version,
    });
    const others = this.retries.filter((retry) => retry.event.id !== event.id);
    if (status !== null && status >= 200 && status < 300) {
      // Delivered: a copy's pending retry has nothing left to do.
      if (others.length !== this.retries.length) this.setRetries(others);
      return;
    }
    if (!this.retrying || others.length !== this.retries.length) return;
    const dueAt = nextAttemptAt(firstAt, attempt, at);
    if (dueAt === null) return;
    this.setRetries([...this.retries, { event, attempt: attempt + 1, firstAt, dueAt }]);
    // A retry already due (the clock jumped past it) goes out now, as it would have then.
    this.sendDue();
  }

  /** Queues the retries whose time has come, soonest first. */
  private sendDue(): void {
    if (this.retries.length === 0) return;
    const now = this.now();
    const due = this.retries.filter((retry) => retry.dueAt <= now);
    if (due.length === 0) return;
    this.setRetries(this.retries.filter((retry) => retry.dueAt > now));
    for (const retry of due.sort((a, b) => a.dueAt - b.dueAt)) {
      this.chain = this.chain.then(() =>
        this.deliver(retry.event, retry.attempt, retry.firstAt, retry.dueAt),
      );
    }
  }

  /** Keeps a real-time tick (unref'd) while retries wait, so that they also go out as time passes. */
  private setRetries(retries: Retry[]): void {
    this.retries = retries;
    if (retries.length > 0 && this.timer === null) {
      this.timer = setInterval(() => this.sendDue(), 1000);
      this.timer.unref();
    } else if (retries.length === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
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
