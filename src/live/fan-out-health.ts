import type { Logger } from '../logger.ts';

/** How live events reach other instances, as GET /readyz reports it. */
export interface LiveHealth {
  /** `in-process`: no REDIS_URL, nothing to fan out to. */
  fanOut: 'in-process' | 'redis';
  /** `down`: events reach this instance's subscribers only (billing is not affected). */
  status: 'up' | 'down' | 'connecting';
  /** Since when it is down (ISO 8601), while down. */
  downSince?: string;
  /** Events not handed to Redis since the process started (a counter: it never goes down). */
  failedPublishes: number;
}

/**
 * The state of the Redis fan-out: down from the first connection error, failed publish or lost
 * connection, up again once both connections are ready. Logged once when it goes down and once
 * when it comes back, never per event or per reconnect attempt.
 */
export class FanOutHealth {
  readonly #log: Logger;
  readonly #connected: () => boolean;
  #downSince: Date | null = null;
  #failedPublishes = 0;
  #failedBeforeOutage = 0;
  #stopped = false;

  constructor(log: Logger, connected: () => boolean) {
    this.#log = log;
    this.#connected = connected;
  }

  down(reason: unknown): void {
    if (this.#stopped) return;
    if (this.#downSince) {
      this.#log.debug({ err: reason }, 'redis still unreachable');
      return;
    }
    this.#downSince = new Date();
    this.#failedBeforeOutage = this.#failedPublishes;
    this.#log.error(
      { err: reason },
      "live fan-out degraded: Redis is unreachable, live events reach this instance's subscribers only (billing goes on); reconnecting",
    );
  }

  /** A connection became ready, or a publish went through. */
  up(): void {
    if (!this.#downSince || this.#stopped || !this.#connected()) return;
    this.#log.info(
      {
        downForMs: Date.now() - this.#downSince.getTime(),
        failedPublishes: this.#failedPublishes - this.#failedBeforeOutage,
      },
      'live fan-out restored: Redis is reachable again',
    );
    this.#downSince = null;
  }

  publishFailed(reason: unknown): void {
    this.down(reason);
    this.#failedPublishes++;
  }

  /** Shutting down: connections closing is expected, not an outage. */
  stop(): void {
    this.#stopped = true;
  }

  snapshot(): LiveHealth {
    const status = this.#downSince ? 'down' : this.#connected() ? 'up' : 'connecting';
    return {
      fanOut: 'redis',
      status,
      ...(this.#downSince ? { downSince: this.#downSince.toISOString() } : {}),
      failedPublishes: this.#failedPublishes,
    };
  }
}
